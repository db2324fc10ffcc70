package derive

import (
	"fmt"

	"github.com/relmig/relmig/releasemap/gitscan"
)

// Report is what Build learned besides the map: both assignments of every
// script, where they disagree, every adding commit, and what a reviewer
// must look at. Commands render it as text or JSON.
type Report struct {
	// By is the assignment the map uses.
	By By
	// Scripts are the migrations derived from git, sorted by id.
	Scripts []Script
	// Disagreements are the scripts whose two assignments differ, sorted
	// by id: exactly where a hand-made table built from dates is wrong.
	Disagreements []Disagreement
	// Removed are the migrations of the built map with removed_in, sorted
	// by id.
	Removed []Removed
	// Warnings are changes of released migrations and entries kept without
	// git's confirmation, sorted by id, then release.
	Warnings []Warning
	// New are the ids the existing map did not have, sorted.
	New []string
	// Changed are the ids of released migrations whose derived release,
	// path, sha256 or commit changed (each change is also a warning).
	Changed []string
	// Ignored are scripts git saw that neither a release nor the default
	// branch's tip carries (added and deleted between releases), by path.
	Ignored []string
	// Deselected are the ids of the existing map that the map's include
	// and exclude globs no longer select: they left the map. A database
	// that ran one keeps its record (status names it as unknown).
	Deselected []string
	// Order is the order inside a release the map uses (name or added);
	// OrderDetected is true when Build chose it because the map had none.
	Order         string
	OrderDetected bool
	// Runner describes the runner command Build inferred for a map that
	// had none ("" when it inferred nothing); the map marks it for review.
	Runner string
	// NoRunner lists the extensions of the migrations left without a
	// runner command because none can be inferred (".sql"), "" when every
	// migration has one.
	NoRunner string
}

// Script is one migration as git knows it.
type Script struct {
	// ID is the migration's id in the map; Path its current path.
	ID, Path string
	// Release is where the map puts it (a release version, or
	// "unreleased").
	Release string
	// ByAncestry and ByDate are the two assignments; ByDate is "" when
	// git knows no commit that added the script.
	ByAncestry, ByDate string
	// Adds are every commit that added the script under any of its paths,
	// oldest first: a cherry-pick or back-port adds it more than once.
	Adds []Add
}

// Add is one commit that added a script, and the path it added.
type Add struct {
	Path string
	gitscan.Add
}

// Disagreement is a script that the two assignments put into different
// releases.
type Disagreement struct {
	ID         string
	ByAncestry string
	ByDate     string
	// Note says, when the date assignment passed over a release on
	// another line of history, which one.
	Note string
}

// Removed is a migration that a later release (or the default branch,
// "unreleased") deleted; it stays in the map.
type Removed struct {
	ID        string
	RemovedIn string
}

// Warning is something a reviewer must look at: a migration (ID) or a
// release (Release) and what happened to it.
type Warning struct {
	ID      string
	Release string
	Message string
}

// String renders the warning on one line.
func (w Warning) String() string {
	switch {
	case w.ID != "":
		return w.ID + ": " + w.Message
	case w.Release != "":
		return "release " + w.Release + ": " + w.Message
	}
	return w.Message
}

// String summarises the report on one line, for logs and test failures.
func (r *Report) String() string {
	return fmt.Sprintf("%d scripts by %s, %d new, %d changed, %d disagreements, %d removed, %d warnings",
		len(r.Scripts), r.By, len(r.New), len(r.Changed), len(r.Disagreements), len(r.Removed), len(r.Warnings))
}
