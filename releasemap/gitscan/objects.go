package gitscan

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Tree entry modes, as git writes them (octal).
const (
	modeTree    = 0o040000
	modeGitlink = 0o160000
)

// treeEntry is one parsed tree entry.
type treeEntry struct {
	name string
	mode uint32
	hash plumbing.Hash
}

func (e treeEntry) isTree() bool { return e.mode == modeTree }

// isFile reports whether the entry is a blob: a regular or executable file
// or a symlink. Submodule entries (gitlinks) point at commits of another
// repository and are never scripts.
func (e treeEntry) isFile() bool { return e.mode != modeTree && e.mode != modeGitlink }

// commitHeader is what the walk needs from a commit object.
type commitHeader struct {
	tree    plumbing.Hash
	parents []plumbing.Hash
	when    int64 // committer time, Unix seconds
	tz      int32 // committer zone offset, seconds east of UTC
}

// readRaw returns the content of object h, which must have type t
// (plumbing.AnyObject: any).
func (r *repository) readRaw(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	_, b, err := r.readAny(t, h)
	return b, err
}

// readAny returns the type and content of object h, from the packs when
// they have it, else through go-git (loose objects).
func (r *repository) readAny(t plumbing.ObjectType, h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	return r.readPart(t, h, wholeObject)
}

// readScratch is readAny into a buffer that the next read reuses.
func (r *repository) readScratch(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	_, b, err := r.readPart(t, h, wholeScratch)
	return b, err
}

// readPart is readAny that may return a commit cut after part of it, in a
// buffer that the next read reuses.
func (r *repository) readPart(t plumbing.ObjectType, h plumbing.Hash, part commitPart) (plumbing.ObjectType, []byte, error) {
	if r.pr != nil {
		typ, b, ok, err := r.pr.read(h, part)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			if t != plumbing.AnyObject && typ != t {
				return 0, nil, fmt.Errorf("object %s is a %s, not a %s", h, typ, t)
			}
			return typ, b, nil
		}
	}
	obj, err := r.st.EncodedObject(t, h)
	if err != nil {
		kind := t.String()
		if t == plumbing.AnyObject {
			kind = "object"
		}
		return 0, nil, r.missing(kind, h, err)
	}
	b, err := objectBytes(obj)
	return obj.Type(), b, err
}

// objectBytes returns an object's content.
func objectBytes(obj plumbing.EncodedObject) ([]byte, error) {
	rd, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", obj.Type(), obj.Hash(), err)
	}
	defer rd.Close()
	buf := make([]byte, obj.Size())
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, fmt.Errorf("read %s %s: %w", obj.Type(), obj.Hash(), err)
	}
	return buf, nil
}

// readCommit reads a commit's tree, parents and committer time by scanning
// the raw object; decoding a full object.Commit (message, signature) would
// cost more than the walk itself.
func (r *repository) readCommit(h plumbing.Hash) (commitHeader, error) {
	return r.readCommitPart(h, throughCommitter)
}

// readCommitLinks reads a commit's tree and parents only; its time is left
// zero. A walk reads every commit, and the time of only a few.
func (r *repository) readCommitLinks(h plumbing.Hash) (commitHeader, error) {
	return r.readCommitPart(h, throughParents)
}

func (r *repository) readCommitPart(h plumbing.Hash, part commitPart) (commitHeader, error) {
	_, b, err := r.readPart(plumbing.CommitObject, h, part)
	if err != nil {
		return commitHeader{}, err
	}
	c, err := parseCommit(b)
	if err != nil {
		return c, fmt.Errorf("commit %s: %w", h, err)
	}
	return c, nil
}

// parseCommit scans the header lines of a raw commit object.
func parseCommit(b []byte) (commitHeader, error) {
	var c commitHeader
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if len(line) == 0 {
			break // end of headers
		}
		key, val, _ := bytes.Cut(line, []byte(" "))
		switch string(key) {
		case "tree":
			h, ok := parseHex(val)
			if !ok {
				return c, fmt.Errorf("bad tree line %q", line)
			}
			c.tree = h
		case "parent":
			h, ok := parseHex(val)
			if !ok {
				return c, fmt.Errorf("bad parent line %q", line)
			}
			c.parents = append(c.parents, h)
		case "committer":
			c.when, c.tz = parseSignatureTime(val)
		}
	}
	if c.tree.IsZero() {
		return c, errors.New("no tree line")
	}
	return c, nil
}

// parseHex parses a 40-digit hex object id (decoded in place: a walk
// parses a tree and a parent or two per commit).
func parseHex(b []byte) (plumbing.Hash, bool) {
	var h plumbing.Hash
	if len(b) != 2*len(h) {
		return plumbing.ZeroHash, false
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return plumbing.ZeroHash, false
	}
	return h, true
}

// parseSignatureTime reads "<unix> <+hhmm>" at the end of an author,
// committer or tagger line. A malformed time yields zero, as git shows it.
func parseSignatureTime(val []byte) (int64, int32) {
	gt := bytes.LastIndexByte(val, '>')
	if gt < 0 {
		return 0, 0
	}
	fields := bytes.Fields(val[gt+1:])
	if len(fields) < 1 {
		return 0, 0
	}
	when, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		return 0, 0
	}
	var tz int32
	if len(fields) > 1 && len(fields[1]) == 5 {
		z := fields[1]
		hh, err1 := strconv.Atoi(string(z[1:3]))
		mm, err2 := strconv.Atoi(string(z[3:5]))
		if err1 == nil && err2 == nil {
			tz = int32(hh*3600 + mm*60)
			if z[0] == '-' {
				tz = -tz
			}
		}
	}
	return when, tz
}

// parseTree decodes a raw tree object.
func parseTree(b []byte) ([]treeEntry, error) {
	// Entries are at least 28 bytes ("40000 x\0" + 20); size the slice once.
	entries := make([]treeEntry, 0, len(b)/40+1)
	for len(b) > 0 {
		mode, name, hash, rest, err := nextEntry(b)
		if err != nil {
			return nil, err
		}
		entries = append(entries, treeEntry{name: string(name), mode: mode, hash: hash})
		b = rest
	}
	return entries, nil
}

// findEntry returns the entry called name in a raw tree without decoding the
// others: resolving the migrations folder reads thousands of root trees.
func findEntry(b []byte, name string) (plumbing.Hash, uint32, bool, error) {
	for len(b) > 0 {
		mode, n, hash, rest, err := nextEntry(b)
		if err != nil {
			return plumbing.ZeroHash, 0, false, err
		}
		if string(n) == name {
			return hash, mode, true, nil
		}
		b = rest
	}
	return plumbing.ZeroHash, 0, false, nil
}

// nextEntry splits the first "<octal mode> <name>\0<20-byte hash>" entry off
// a raw tree.
func nextEntry(b []byte) (mode uint32, name []byte, hash plumbing.Hash, rest []byte, err error) {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 {
		return 0, nil, hash, nil, errors.New("malformed tree entry mode")
	}
	for _, c := range b[:sp] {
		if c < '0' || c > '7' {
			return 0, nil, hash, nil, errors.New("malformed tree entry mode")
		}
		mode = mode<<3 | uint32(c-'0')
	}
	nul := bytes.IndexByte(b[sp+1:], 0)
	if nul < 0 || sp+1+nul+1+20 > len(b) {
		return 0, nil, hash, nil, errors.New("truncated tree entry")
	}
	name = b[sp+1 : sp+1+nul]
	start := sp + 1 + nul + 1
	copy(hash[:], b[start:start+20])
	return mode, name, hash, b[start+20:], nil
}

// compareEntries orders tree entries as git does: by name bytes, with a
// tree's name compared as if it ended in "/". Two trees of one folder list
// their entries in this order, so they can be diffed by merging.
func compareEntries(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	ca, cb := nextChar(a, n), nextChar(b, n)
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

func nextChar(e treeEntry, i int) int {
	if i < len(e.name) {
		return int(e.name[i])
	}
	if e.isTree() {
		return '/'
	}
	return 0
}
