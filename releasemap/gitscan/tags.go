package gitscan

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relmig/relmig/internal/wildmatch"
)

// maxTagDepth bounds peeling a tag of a tag of a tag…; git itself gives up
// far earlier than any real repository nests.
const maxTagDepth = 32

// peeledRef is what a tag reference's target resolves to. It is cached by
// the target's hash: an object's content, hence its peeled target, never
// changes.
type peeledRef struct {
	target    plumbing.Hash // the commit (or tree, blob) at the end of the chain
	kind      plumbing.ObjectType
	annotated bool  // the reference points at a tag object
	when      int64 // outermost tagger time, valid when hasTime
	tz        int32
	hasTime   bool
}

// tagRef is one refs/tags/ reference.
type tagRef struct {
	name string // without "refs/tags/"
	hash plumbing.Hash
}

// tagRefs lists the tag references. Iterating references (not tag objects)
// is what git does: TagObjects also yields orphaned tag objects.
func (r *repository) tagRefs() ([]tagRef, error) {
	iter, err := r.st.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("list references: %w", err)
	}
	defer iter.Close()
	var tags []tagRef
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if !ref.Name().IsTag() {
			return nil
		}
		h := ref.Hash()
		if ref.Type() == plumbing.SymbolicReference {
			resolved, err := r.st.Reference(ref.Target())
			if err != nil {
				return nil // a dangling symbolic tag is no release
			}
			h = resolved.Hash()
		}
		tags = append(tags, tagRef{name: ref.Name().Short(), hash: h})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].name < tags[j].name })
	return tags, nil
}

// peel follows tag objects from h to the object at the end of the chain,
// using and filling the cache.
func (r *repository) peel(h plumbing.Hash, cache map[plumbing.Hash]peeledRef, commits map[plumbing.Hash]*commitRec) (peeledRef, error) {
	if p, ok := cache[h]; ok {
		return p, nil
	}
	if _, ok := commits[h]; ok {
		p := peeledRef{target: h, kind: plumbing.CommitObject}
		cache[h] = p
		return p, nil
	}
	p := peeledRef{target: h}
	for depth := 0; ; depth++ {
		if depth == maxTagDepth {
			return p, fmt.Errorf("tag %s: more than %d nested tags", h, maxTagDepth)
		}
		typ, b, err := r.readAny(plumbing.AnyObject, p.target)
		if err != nil {
			var me *MissingObjectError
			if errors.As(err, &me) {
				me.Kind = "tag target"
			}
			return p, err
		}
		if typ != plumbing.TagObject {
			p.kind = typ
			break
		}
		target, when, tz, hasTime, err := parseTag(b)
		if err != nil {
			return p, fmt.Errorf("tag %s: %w", p.target, err)
		}
		if !p.annotated {
			// The outermost tag's date is the release date.
			p.annotated, p.when, p.tz, p.hasTime = true, when, tz, hasTime
		}
		p.target = target
	}
	cache[h] = p
	return p, nil
}

// parseTag reads the target and tagger time of a raw tag object.
func parseTag(b []byte) (target plumbing.Hash, when int64, tz int32, hasTime bool, err error) {
	found := false
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if len(line) == 0 {
			break
		}
		key, val, _ := bytes.Cut(line, []byte(" "))
		switch string(key) {
		case "object":
			target, found = parseHex(val)
		case "tagger":
			when, tz = parseSignatureTime(val)
			hasTime = true
		}
	}
	if !found {
		return target, 0, 0, false, fmt.Errorf("no object line")
	}
	return target, when, tz, hasTime, nil
}

// releaseVersion decides whether a tag name is a release: it must match the
// glob, carry the prefix, and parse as strict semver after the prefix and an
// optional "v" are stripped. It returns the version, or why the tag is not a
// release.
func releaseVersion(name string, c settings) (*semver.Version, string) {
	if c.tagMatch != "" {
		if !wildmatch.Match(c.tagMatch, name) {
			return nil, fmt.Sprintf("does not match %q", c.tagMatch)
		}
	}
	rest, ok := strings.CutPrefix(name, c.tagPrefix)
	if !ok {
		return nil, fmt.Sprintf("no prefix %q", c.tagPrefix)
	}
	rest = strings.TrimPrefix(rest, "v")
	v, err := semver.StrictNewVersion(rest)
	if err != nil {
		return nil, "not semver"
	}
	if v.Prerelease() != "" && !c.prereleases {
		return nil, "pre-release"
	}
	return v, ""
}

// sortReleases orders releases by semver precedence (never by git or string
// order), then by tag name, and drops all but the first of tags that name
// the same version ("v1.0.0" and "1.0.0"), listing the others as skipped.
func sortReleases(rels []Release) ([]Release, []SkippedTag) {
	sort.SliceStable(rels, func(i, j int) bool {
		if c := rels[i].Version.Compare(rels[j].Version); c != 0 {
			return c < 0
		}
		return rels[i].Tag < rels[j].Tag
	})
	var skipped []SkippedTag
	out := rels[:0]
	for _, r := range rels {
		if n := len(out); n > 0 && out[n-1].Version.Compare(r.Version) == 0 {
			skipped = append(skipped, SkippedTag{Name: r.Tag, Reason: "same version as " + out[n-1].Tag})
			continue
		}
		out = append(out, r)
	}
	return out, skipped
}
