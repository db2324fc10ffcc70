// Package gitscan reads the git facts a release map is derived from: which
// release tags exist, which scripts each release's tree carries in the
// migrations folder, which commits added each script, and which releases are
// on which release's own history.
//
// It is the pure git layer of relmig's "map build": it takes options and
// returns data, never prints, reads no environment and needs no git binary at
// run time (go-git v5 only). The map model in package releasemap turns a
// Result into releases, unreleased and removed scripts.
//
// Three measured facts shape the implementation (see
// ../../../shared/notes/go-git-release-maps.md):
//
//   - Which releases contain a script is read from each tag's tree, listing
//     each distinct folder tree once. Merges, back-ports and clock skew do not
//     matter there.
//   - Which commits added a script is found by one hand-written walk over the
//     commits reachable from the release tags and the default branch,
//     comparing the folder's tree hash with each parent's. go-git's
//     Repository.Log with a path filter is both very slow and wrong (it
//     compares a commit with the previous one the iterator yields).
//   - The walk's result is cached per repository and folder, keyed by commit
//     hash, so later runs only read new commits.
package gitscan
