// Package derive turns the git facts that package gitscan reads into a
// release map, merged into the map a person already edited (SPEC §2.1).
//
// Build is a pure function: it takes a scan result, the existing map and
// options, and returns the new map and a report. It does no I/O, never
// prints and reads no environment; `relmig map build` owns the repository,
// the cache, the file and the output.
//
// What Build derives, per script (a path, or several paths when git saw a
// rename with unchanged content):
//
//   - its release, two ways: by ancestry (the lowest-semver release whose
//     tagged tree contains it) and by date (the first release tagged, by
//     release date, at or after the commit that first added it); Options.By
//     picks the one the map uses, and every difference is reported;
//   - the lineage that `between` needs for side lines: each release's
//     parents (the nearest lower releases on its own history) and each
//     script's first_in (the releases that carry it while none of their
//     ancestors does);
//   - removed_in, renamed_from, path, the first adding commit and its date,
//     the content hash at its release's tag, and every adding commit.
//
// Hand-written fields of the existing map survive; see Build.
package derive

import (
	"context"
	"errors"
	"fmt"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// By names which of the two assignments of SPEC §2.1 puts a script into its
// release in the built map. Both are always computed.
type By string

const (
	// ByAncestry assigns a script to the lowest-semver release whose
	// tagged tree contains it: exact for merges and back-ports. The
	// default.
	ByAncestry By = "ancestry"
	// ByDate assigns a script to the first release tagged (by date) at or
	// after the commit that first added it: how hand-made tables were
	// built.
	ByDate By = "date"
)

// ErrInvalidOptions is wrapped by Build and ParseBy for options they cannot
// use.
var ErrInvalidOptions = errors.New("invalid options")

// ParseBy parses an assignment name; "" means ByAncestry.
func ParseBy(s string) (By, error) {
	switch By(s) {
	case "", ByAncestry:
		return ByAncestry, nil
	case ByDate:
		return ByDate, nil
	}
	return "", fmt.Errorf("%w: assignment %q: want ancestry or date", ErrInvalidOptions, s)
}

// Options tunes Build. The zero value assigns by ancestry.
type Options struct {
	// By chooses the assignment that goes into the map; "" means
	// ByAncestry.
	By By
}

// Build derives a release map from scan and merges it into existing.
//
// existing may be nil for a new map. Its top-level settings (repo, dir,
// tags, include, exclude, runner) are kept as they are: the caller sets them
// to what it scanned with. Every migration's hand-written fields
// (description, requires, after, before, idempotent, pre, post, runner
// overrides, and any field that is not derived) survive, and so does the
// order of migrations inside a release; migrations new to a release are
// appended in (added date, path) order. Derived fields (the release, path,
// commit, added, sha256, first_in, removed_in, renamed_from of migrations;
// tag, date and parents of releases) are refreshed. A changed release, path,
// sha256 or commit of a migration the existing map had under a release is
// reported in Report.Warnings, since released migrations must never change;
// migrations git never saw are kept as written and reported too.
//
// A map without a runner command gets one inferred from its scripts'
// extensions (see Report.Runner), marked for review with a comment.
//
// Releases are named by their tag ("v0.18.0", "api@1.4.0"), which parses
// with the map's tag prefix; a release the existing map already names with
// another spelling of the same version keeps that spelling.
func Build(ctx context.Context, scan *gitscan.Result, existing *releasemap.Map, opts Options) (*releasemap.Map, *Report, error) {
	by, err := ParseBy(string(opts.By))
	if err != nil {
		return nil, nil, err
	}
	if scan == nil {
		return nil, nil, fmt.Errorf("%w: no scan result", ErrInvalidOptions)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if existing == nil {
		existing = &releasemap.Map{Relmig: releasemap.FormatVersion}
	}
	ex := indexExisting(existing)
	lin := newLineage(scan.Releases, ex)
	facts := deriveScripts(scan, lin, by)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	m, rep := merge(existing, lin, facts, ex)
	rep.By = by
	rep.Runner = inferRunner(m)
	rep.NoRunner = withoutRunner(m)
	for _, d := range m.Duplicates() {
		rep.Warnings = append(rep.Warnings, Warning{ID: d.ID, Message: d.Message()})
	}
	return m, rep, nil
}
