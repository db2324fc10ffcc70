package gitscan

import (
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Result is everything Scan learned from the repository. It is plain data:
// the map model derives releases, unreleased and removed scripts from it.
type Result struct {
	// Releases are the release tags in ascending semver precedence (never
	// git or string order); tags of equal precedence are ordered by name.
	Releases []Release

	// Skipped are the tags that are not releases, each with the reason, so
	// that a verbose run can show them.
	Skipped []SkippedTag

	// Scripts are all scripts (paths relative to Dir that pass the include
	// and exclude globs) seen on the walked history, at any release tag or
	// at the default branch's tip, sorted by path.
	Scripts []Script

	// Head is the default branch's tip: the scripts no release carries yet
	// are in its Files.
	Head Head

	// FormerDirs are the folders (relative to the repository root) that
	// history moved the migrations folder from, most recent first. Their
	// scripts are merged into Releases and Scripts under the same paths
	// relative to the folder: a moved script keeps its id and release.
	FormerDirs []string

	// empty is why the result is empty (an *EmptyError), or nil.
	empty error
}

// Release is one release tag and the migrations folder as that tag has it.
type Release struct {
	// Tag is the tag name without "refs/tags/" ("v1.4.0", "api@1.4.0").
	Tag string
	// Version is the tag's semver version, prefix stripped.
	Version *semver.Version
	// Commit is the hex hash of the commit the tag peels to.
	Commit string
	// Date is the tagger date of an annotated tag (the outermost one of a
	// tag of a tag), or the committer date of a lightweight tag's commit.
	Date time.Time
	// Annotated is true when the tag reference points at a tag object.
	Annotated bool
	// Files are the scripts in this release's tree, keyed by path relative
	// to Dir. A script that an earlier release has and this one lacks was
	// deleted before this release.
	Files map[string]File
	// Ancestors are the tags of the other releases whose commit is
	// reachable from this release's commit (this release's own history),
	// in the order of Result.Releases. A release missing here although its
	// version is lower is on a side line (a maintenance branch or a stray
	// tag).
	Ancestors []string
	// FirstParentAncestors are the Ancestors on this release's first-parent
	// history: its own line of development, without the releases of other
	// lines merged into it.
	FirstParentAncestors []string
}

// File is one script's content as one tree has it.
type File struct {
	// Blob is the hex git blob hash of the content.
	Blob string
	// SHA256 is the hex SHA-256 of the content: what a history record
	// stores to notice a script that changed after it ran.
	SHA256 string
}

// SkippedTag is a tag that is not a release, and why.
type SkippedTag struct {
	// Name is the tag name without "refs/tags/".
	Name string
	// Reason says why it is not a release ("not semver", "pre-release",
	// "points at a tree", "does not match v*", …).
	Reason string
}

// Script is one path relative to Dir and every commit that added it.
type Script struct {
	// Path is the path relative to Dir: the script's id.
	Path string
	// Adds are the commits in which the path appeared (present in the
	// commit, absent from every parent), oldest committer date first. A
	// cherry-pick or back-port adds the same path more than once.
	Adds []Add
	// RenamedFrom are old paths (relative to Dir, passing the globs) this
	// path was renamed from with unchanged content, as git log --follow
	// would see it.
	RenamedFrom []string
}

// Add is one commit that added a script.
type Add struct {
	// Commit is the adding commit's hex hash.
	Commit string
	// Date is the adding commit's committer date.
	Date time.Time
	// OnDefaultBranch is true when the default branch's tip reaches the
	// commit; false means only release tags do (a maintenance line).
	OnDefaultBranch bool
	// Merge is true when the commit is a merge whose parents all lacked the
	// path (a conflict resolution or an "evil" merge), as git log -c
	// --diff-filter=A reports it; plain git log shows no diff for merges.
	Merge bool
	// RenamedFrom is the old path when this add is a pure rename: the same
	// commit removed that path, which had identical content.
	RenamedFrom string
	// MovedFrom is the former folder (relative to the repository root)
	// when this add is the commit that moved the whole migrations folder.
	MovedFrom string
}

// Head is the default branch's tip.
type Head struct {
	// Ref is the full reference name that was read ("refs/heads/main"), or
	// "HEAD" for a detached HEAD; empty in a repository without commits.
	Ref string
	// Commit is the tip's hex hash.
	Commit string
	// Files are the scripts at the tip, keyed by path relative to Dir.
	Files map[string]File
}

// String summarises the result on one line, for logs and test failures.
func (r *Result) String() string {
	return fmt.Sprintf("%d releases, %d skipped tags, %d scripts, head %.12s",
		len(r.Releases), len(r.Skipped), len(r.Scripts), r.Head.Commit)
}

// Release returns the release with the given tag name, or nil.
func (r *Result) Release(tag string) *Release {
	for i := range r.Releases {
		if r.Releases[i].Tag == tag {
			return &r.Releases[i]
		}
	}
	return nil
}
