package derive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/releasemap/releasemaptest"

	"github.com/Masterminds/semver/v3"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// base is day 0 of every synthetic history.
var base = time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return base.AddDate(0, 0, n) }

// sum is the SHA-256 a synthetic file with this content has.
func sum(content string) string {
	s := sha256.Sum256([]byte(content))
	return hex.EncodeToString(s[:])
}

// files builds a folder listing from "path" (content = path) or
// "path=content" entries.
func files(entries ...string) map[string]gitscan.File {
	out := make(map[string]gitscan.File, len(entries))
	for _, e := range entries {
		p, content, ok := strings.Cut(e, "=")
		if !ok {
			content = p
		}
		out[p] = gitscan.File{Blob: fmt.Sprintf("%040x", len(content)), SHA256: sum(content)}
	}
	return out
}

// rel builds a release; prefix is stripped from the tag for its version.
func rel(tag, prefix string, d int, ancestors []string, fs map[string]gitscan.File) gitscan.Release {
	v := semver.MustParse(strings.TrimPrefix(strings.TrimPrefix(tag, prefix), "v"))
	return gitscan.Release{Tag: tag, Version: v, Commit: fmt.Sprintf("%040d", d), Date: day(d), Files: fs, Ancestors: ancestors}
}

// add builds an adding commit; commit ids are readable names padded to 40.
func add(commit string, d int, onMain bool) gitscan.Add {
	return gitscan.Add{Commit: commit, Date: day(d), OnDefaultBranch: onMain}
}

func script(path string, adds ...gitscan.Add) gitscan.Script {
	s := gitscan.Script{Path: path, Adds: adds}
	for _, a := range adds {
		if a.RenamedFrom != "" {
			s.RenamedFrom = append(s.RenamedFrom, a.RenamedFrom)
		}
	}
	return s
}

func result(head map[string]gitscan.File, rels []gitscan.Release, scripts ...gitscan.Script) *gitscan.Result {
	sort.Slice(scripts, func(i, j int) bool { return scripts[i].Path < scripts[j].Path })
	return &gitscan.Result{Releases: rels, Scripts: scripts, Head: gitscan.Head{Ref: "refs/heads/main", Commit: "head", Files: head}}
}

// build runs Build and checks that the map is valid and plannable, as
// `relmig map check` would.
func build(t *testing.T, scan *gitscan.Result, existing *releasemap.Map, by By) (*releasemap.Map, *Report) {
	t.Helper()
	if existing == nil {
		// These histories' names carry numbers; the tests are about the
		// added order (order: name has tests of its own).
		existing = &releasemap.Map{Relmig: releasemap.FormatVersion, Order: releasemap.OrderAdded}
	}
	m, rep, err := Build(context.Background(), scan, existing, Options{By: by})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	data, err := m.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := releasemap.Parse(data, "built.yaml")
	if err != nil {
		t.Fatalf("parse built map: %v\n%s", err, data)
	}
	if err := parsed.Validate(releasemap.ValidateOptions{}); err != nil {
		t.Fatalf("built map is invalid: %v\n%s", err, data)
	}
	if _, err := parsed.Sequence(); err != nil {
		t.Fatalf("built map has no sequence: %v\n%s", err, data)
	}
	return m, rep
}

// outline renders the map compactly: one line per release (with parents)
// and per migration (with the derived fields other than hashes and dates).
func outline(m *releasemap.Map) string {
	var b strings.Builder
	mig := func(g releasemap.Migration) {
		fmt.Fprintf(&b, "  %s", g.ID)
		if g.Path != "" {
			fmt.Fprintf(&b, " path=%s", g.Path)
		}
		if len(g.FirstIn) > 0 {
			fmt.Fprintf(&b, " first_in=%v", g.FirstIn)
		}
		if g.RemovedIn != "" {
			fmt.Fprintf(&b, " removed_in=%s", g.RemovedIn)
		}
		if len(g.RenamedFrom) > 0 {
			fmt.Fprintf(&b, " renamed_from=%v", g.RenamedFrom)
		}
		b.WriteString("\n")
	}
	for _, r := range m.Releases {
		fmt.Fprintf(&b, "%s", r.Version)
		if len(r.Parents) > 0 {
			fmt.Fprintf(&b, " <%s>", strings.Join(r.Parents, " "))
		}
		b.WriteString("\n")
		for _, g := range r.Migrations {
			mig(g)
		}
	}
	if len(m.Unreleased) > 0 {
		b.WriteString("unreleased\n")
		for _, g := range m.Unreleased {
			mig(g)
		}
	}
	return b.String()
}

func find(m *releasemap.Map, id string) *releasemap.Migration {
	g, _ := releasemaptest.Find(m, id)
	return g
}

func warnings(rep *Report) []string {
	out := make([]string, len(rep.Warnings))
	for i, w := range rep.Warnings {
		out[i] = w.String()
	}
	return out
}

func parseMap(t *testing.T, yaml string) *releasemap.Map {
	t.Helper()
	m, err := releasemap.Parse([]byte(yaml), "releasemap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}
