package gitscan

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// trees reads the migrations folder's trees. It caches everything by object
// hash, which never goes stale: a folder tree is listed once however many
// commits and tags share it.
type trees struct {
	repo  *repository
	parts []string // Options.Dir split on "/"
	// levels[i] maps a tree at depth i of Dir's path (the root tree at 0)
	// to its child named parts[i], zero when absent. Root trees differ at
	// almost every commit, the deeper ones rarely.
	levels []map[plumbing.Hash]plumbing.Hash
	parsed map[plumbing.Hash][]treeEntry
}

func newTrees(repo *repository, parts []string) *trees {
	t := &trees{repo: repo, parts: parts, parsed: map[plumbing.Hash][]treeEntry{}}
	t.levels = make([]map[plumbing.Hash]plumbing.Hash, len(parts))
	for i := range t.levels {
		t.levels[i] = map[plumbing.Hash]plumbing.Hash{}
	}
	return t
}

// dirTree returns the hash of the migrations folder's tree inside root tree
// root, or the zero hash when the folder does not exist there.
func (t *trees) dirTree(root plumbing.Hash) (plumbing.Hash, error) {
	h := root
	for i, name := range t.parts {
		if h.IsZero() {
			return h, nil
		}
		if child, ok := t.levels[i][h]; ok {
			h = child
			continue
		}
		// Only the entry is kept: the tree is read into a reused buffer.
		b, err := t.repo.readScratch(plumbing.TreeObject, h)
		if err != nil {
			return h, annotate(err, joinPath(t.parts[:i]...), "")
		}
		child, mode, found, err := findEntry(b, name)
		if err != nil {
			return h, fmt.Errorf("tree %s: %w", h, err)
		}
		if !found || mode != modeTree {
			child = plumbing.ZeroHash
		}
		t.levels[i][h] = child
		h = child
	}
	return h, nil
}

// entries returns the parsed entries of tree h; the zero hash is the empty
// tree (a folder that does not exist).
func (t *trees) entries(h plumbing.Hash) ([]treeEntry, error) {
	if h.IsZero() {
		return nil, nil
	}
	if e, ok := t.parsed[h]; ok {
		return e, nil
	}
	b, err := t.repo.readRaw(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	e, err := parseTree(b)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	t.parsed[h] = e
	return e, nil
}

// list adds every file under tree h to out, keyed by prefix + its path.
func (t *trees) list(h plumbing.Hash, prefix string, out map[string]plumbing.Hash) error {
	entries, err := t.entries(h)
	if err != nil {
		return t.annotate(err, prefix)
	}
	for _, e := range entries {
		switch {
		case e.isTree():
			if err := t.list(e.hash, prefix+e.name+"/", out); err != nil {
				return err
			}
		case e.isFile():
			out[prefix+e.name] = e.hash
		}
	}
	return nil
}

// pathBlob is a file path with its blob hash.
type pathBlob struct {
	path string
	blob plumbing.Hash
}

// diff lists the files in tree a that tree b lacks (added) and those in b
// that a lacks (removed), recursing only into subtrees whose hashes differ,
// as git's tree diff does. A path whose content changed is in neither list.
func (t *trees) diff(a, b plumbing.Hash, prefix string, added, removed *[]pathBlob) error {
	if a == b {
		return nil
	}
	ea, err := t.entries(a)
	if err != nil {
		return t.annotate(err, prefix)
	}
	eb, err := t.entries(b)
	if err != nil {
		return t.annotate(err, prefix)
	}
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		var c int
		switch {
		case i == len(ea):
			c = 1
		case j == len(eb):
			c = -1
		default:
			c = compareEntries(ea[i], eb[j])
		}
		switch {
		case c < 0:
			if err := t.collect(ea[i], prefix, added); err != nil {
				return err
			}
			i++
		case c > 0:
			if err := t.collect(eb[j], prefix, removed); err != nil {
				return err
			}
			j++
		default:
			if ea[i].isTree() && ea[i].hash != eb[j].hash {
				if err := t.diff(ea[i].hash, eb[j].hash, prefix+ea[i].name+"/", added, removed); err != nil {
					return err
				}
			}
			i++
			j++
		}
	}
	return nil
}

// collect appends the files of entry e (one file, or all under a tree).
func (t *trees) collect(e treeEntry, prefix string, out *[]pathBlob) error {
	switch {
	case e.isTree():
		files := map[string]plumbing.Hash{}
		if err := t.list(e.hash, prefix+e.name+"/", files); err != nil {
			return err
		}
		for p, h := range files {
			*out = append(*out, pathBlob{p, h})
		}
	case e.isFile():
		*out = append(*out, pathBlob{prefix + e.name, e.hash})
	}
	return nil
}

// annotate names the folder (prefix, relative to the migrations folder) of
// a missing tree.
func (t *trees) annotate(err error, prefix string) error {
	return annotate(err, joinPath(append(append([]string(nil), t.parts...), prefix)...), "")
}
