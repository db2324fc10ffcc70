// Package plan answers, without any I/O: given the release map, what the
// database's history says, and a target, what runs, in what order, and what
// is refused. `status`, `up` (dry run) and `up --apply` all call Compute;
// execution never re-derives the plan.
package plan

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/releasemap"
)

// State is a migration's state in the database.
type State string

// The states of a migration.
const (
	Applied          State = "applied"
	Pending          State = "pending"
	StateFailed      State = "failed"
	StateInterrupted State = "interrupted"
	StateRunning     State = "running"
)

// Input is everything the planner reads.
type Input struct {
	Seq *releasemap.Sequence
	// History is the store's summary per migration id.
	History map[string]history.Summary
	// Target is the version to plan to; zero means the highest release.
	Target releasemap.Version
	// Retry names failed or interrupted non-idempotent migrations that a
	// person checked and wants run again.
	Retry []string
	// Strict turns warnings into refusals.
	Strict bool
}

// Migration is one migration of the map and its state.
type Migration struct {
	releasemap.Entry
	State State
	// AppliedAs is the status that made it applied: succeeded, baselined or
	// skipped; empty when not applied.
	AppliedAs history.Status
	// Drifted says the file content changed since it was applied.
	Drifted bool
	// Latest is the most recent record, nil when there is none.
	Latest *history.Entry
	// AppliedSHA256 is the content hash recorded when it was applied.
	AppliedSHA256 string
	// Attempts counts the history records for it.
	Attempts int
}

// Finding is one refusal or warning, about one migration (ID) or the whole
// plan (ID empty): its Kind and facts are for programs to branch on,
// Reason is its text for people.
type Finding struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	Kind   Kind   `json:"kind"`
	// Related is the fact the kind is about: the `after` dependency, the
	// `before` release, the failed or interrupted state, the target of a
	// downgrade, the missing variable or address.
	Related string `json:"related,omitempty"`
}

// Kind says what a Finding is about. The values are part of the JSON
// contract.
type Kind string

// The kinds of findings.
const (
	KindDowngrade     Kind = "downgrade"       // the target is below what the database holds
	KindWindowPassed  Kind = "window_passed"   // a `before` release was reached already
	KindNotIdempotent Kind = "not_idempotent"  // the last attempt failed or was interrupted
	KindRunning       Kind = "running"         // an attempt is still running
	KindAfter         Kind = "after_missing"   // an `after` dependency is neither applied nor planned first
	KindDrifted       Kind = "drifted"         // an applied script's content changed
	KindUnknownID     Kind = "unknown_id"      // history knows an id the map does not
	KindOutOfOrder    Kind = "out_of_order"    // applied while an earlier one is pending
	KindRequirement   Kind = "requirement"     // a requirement is not met (runner)
	KindChanged       Kind = "content_changed" // a pending script's content differs from the map (runner)
)

func (f Finding) String() string {
	if f.ID == "" {
		return f.Reason
	}
	return f.ID + ": " + f.Reason
}

// Result is what the planner decided.
type Result struct {
	Target releasemap.Version
	// Current is the highest release R such that every migration the
	// application at R carries is applied; zero when there is none.
	Current releasemap.Version
	// Reached is the highest release of any applied migration: how far the
	// database has been moved, which closes `before` windows.
	Reached releasemap.Version
	// Migrations are every migration of the map, in run order.
	Migrations []Migration
	// Plan are the migrations to run, in run order.
	Plan []releasemap.RangeEntry
	// LeftOut are migrations only a side line carries.
	LeftOut []releasemap.LeftOut
	// Ahead says the database already holds more than the target (the
	// downgrade refusal): what an older release's replica sees when it
	// restarts after a newer one migrated.
	Ahead    bool
	Refusals []Finding
	Warnings []Finding
}

// ErrRefused is wrapped by the error Err returns when the plan is refused.
var ErrRefused = errors.New("plan refused")

// RefusedError lists every reason a plan was refused.
type RefusedError struct {
	Refusals []Finding
}

func (e *RefusedError) Error() string {
	parts := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		parts[i] = r.String()
	}
	return "plan refused: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// Err returns a *RefusedError when the plan was refused, else nil.
func (r *Result) Err() error {
	if len(r.Refusals) == 0 {
		return nil
	}
	return &RefusedError{Refusals: r.Refusals}
}

// Compute is the planner. It fails only on bad input (an unknown --retry
// id); refusals and warnings are part of the Result.
func Compute(in Input) (*Result, error) {
	seq := in.Seq
	target := in.Target
	if target.IsZero() {
		if len(seq.Releases) == 0 {
			target = releasemap.MustParseVersion(releasemap.Unreleased)
		} else {
			target = seq.Releases[len(seq.Releases)-1]
		}
	}
	res := &Result{Target: target}

	state := map[string]*Migration{}
	for _, e := range seq.Entries {
		m := Migration{Entry: e, State: Pending}
		if h, ok := in.History[e.Migration.ID]; ok && h.Attempts > 0 {
			classify(&m, h)
		}
		res.Migrations = append(res.Migrations, m)
	}
	for i := range res.Migrations {
		state[res.Migrations[i].Migration.ID] = &res.Migrations[i]
	}

	res.Current = current(seq, state)
	for _, m := range res.Migrations {
		if m.State == Applied && !m.Release.IsUnreleased() && res.Reached.Less(m.Release) {
			res.Reached = m.Release
		}
	}

	retry := map[string]bool{}
	for _, id := range in.Retry {
		m, ok := state[id]
		switch {
		case !ok:
			return nil, fmt.Errorf("--retry %s: no such migration in the map: %w", id, releasemap.ErrInvalid)
		case m.State != StateFailed && m.State != StateInterrupted:
			return nil, fmt.Errorf("--retry %s: its state is %s, not failed or interrupted: %w", id, m.State, releasemap.ErrInvalid)
		}
		retry[id] = true
	}

	rg := seq.UpTo(target)
	res.LeftOut = rg.LeftOut
	planned := map[string]bool{}
	for _, e := range rg.Entries {
		if state[e.Migration.ID].State != Applied {
			res.Plan = append(res.Plan, e)
			planned[e.Migration.ID] = true
		}
	}

	// A downgrade is a target below what the database already holds. The
	// current release can sit above the last applied migration (releases
	// without migrations count as reached), so compare with the highest
	// release that has an applied migration.
	if target.Less(res.Reached) || !target.IsUnreleased() && appliedUnreleased(res.Migrations) {
		res.Ahead = true
		held := res.Reached
		if !target.Less(held) {
			held = releasemap.MustParseVersion(releasemap.Unreleased)
		}
		res.Refusals = append(res.Refusals, Finding{Kind: KindDowngrade, Related: held.String(), Reason: fmt.Sprintf(
			"target %s is below what the database already holds (%s): there are no down migrations, restore a backup instead", target, held)})
	}
	seen := map[string]bool{}
	for _, e := range res.Plan {
		id := e.Migration.ID
		m := state[id]
		g := e.Migration
		if g.Before != "" && !res.Reached.IsZero() {
			if x, err := releasemap.ParseVersion(g.Before, seq.TagPrefix); err == nil && !res.Reached.Less(x) {
				res.Refusals = append(res.Refusals, Finding{ID: id, Kind: KindWindowPassed, Related: g.Before, Reason: fmt.Sprintf(
					"must run before %s, but the database already reached %s: the window has passed; resolve by hand with relmig mark", g.Before, res.Reached)})
			}
		}
		switch m.State {
		case StateFailed, StateInterrupted:
			if !g.Idempotent && !retry[id] {
				res.Refusals = append(res.Refusals, Finding{ID: id, Kind: KindNotIdempotent, Related: string(m.State), Reason: fmt.Sprintf(
					"last attempt %s and it is not idempotent: check the data, then relmig mark it or pass --retry %s", m.State, id)})
			}
		case StateRunning:
			res.Refusals = append(res.Refusals, Finding{ID: id, Kind: KindRunning, Reason: "an attempt is still running (another run holds it, or a crashed run's lease has not expired yet)"})
		}
		for _, dep := range g.After {
			if d, ok := state[dep]; ok && d.State != Applied && !seen[dep] {
				res.Refusals = append(res.Refusals, Finding{ID: id, Kind: KindAfter, Related: dep, Reason: fmt.Sprintf(
					"after %s, which is neither applied nor planned before it", dep)})
			}
		}
		seen[id] = true
	}
	res.Warnings = warnings(in, res, state)
	if in.Strict {
		for _, w := range res.Warnings {
			w.Reason += " (--strict)"
			res.Refusals = append(res.Refusals, w)
		}
	}
	return res, nil
}

// classify sets a migration's state from its history: the latest record
// decides; a `running` one means an attempt has not finished (or its run
// died and the lease has not been taken over yet).
func classify(m *Migration, h history.Summary) {
	latest := h.Latest
	m.Latest = &latest
	m.Attempts = h.Attempts
	switch latest.Status {
	case history.Running:
		m.State = StateRunning
	case history.Succeeded, history.Baselined, history.Skipped:
		m.State, m.AppliedAs = Applied, latest.Status
		m.AppliedSHA256 = latest.SHA256
		want := m.Migration.SHA256
		m.Drifted = want != "" && latest.SHA256 != "" && latest.SHA256 != want
	case history.Failed:
		m.State = StateFailed
	case history.Interrupted:
		m.State = StateInterrupted
	}
}

func appliedUnreleased(ms []Migration) bool {
	for _, m := range ms {
		if m.Release.IsUnreleased() && m.State == Applied {
			return true
		}
	}
	return false
}

// current returns the highest release whose carried migrations are all
// applied.
func current(seq *releasemap.Sequence, state map[string]*Migration) releasemap.Version {
	var best releasemap.Version
	for _, r := range seq.Releases {
		ok := true
		for _, e := range seq.UpTo(r).Entries {
			if state[e.Migration.ID].State != Applied {
				ok = false
				break
			}
		}
		if ok {
			best = r
		}
	}
	return best
}

func warnings(in Input, res *Result, state map[string]*Migration) []Finding {
	var ws []Finding
	for _, m := range res.Migrations {
		if m.Drifted {
			ws = append(ws, Finding{ID: m.Migration.ID, Kind: KindDrifted, Reason: fmt.Sprintf(
				"content changed since it was applied (recorded sha256 %s, map %s)", short(m.AppliedSHA256), short(m.Migration.SHA256))})
		}
	}
	var unknown []string
	for id := range in.History {
		if _, ok := state[id]; !ok && id != "" {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		ws = append(ws, Finding{ID: id, Kind: KindUnknownID, Reason: "history has records for an id the map does not know"})
	}
	// Applied out of order: an applied migration after a pending one in the
	// run order up to the target.
	pendingBefore := ""
	for _, e := range in.Seq.UpTo(res.Target).Entries {
		m := state[e.Migration.ID]
		if m.State != Applied {
			if pendingBefore == "" {
				pendingBefore = e.Migration.ID
			}
			continue
		}
		if pendingBefore != "" && m.AppliedAs == history.Succeeded {
			ws = append(ws, Finding{ID: e.Migration.ID, Kind: KindOutOfOrder, Related: pendingBefore, Reason: fmt.Sprintf(
				"applied while %s, earlier in run order, is still pending", pendingBefore)})
		}
	}
	return ws
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
