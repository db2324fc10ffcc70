package upgrade

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/plan"
)

// StatusJSON is the `relmig status --output json` document, the JSON view
// of a plan; the upgrade document (ReportJSON) extends it.
type StatusJSON struct {
	CurrentRelease string         `json:"current_release"`
	Target         string         `json:"target"`
	Migrations     []StateJSON    `json:"migrations"`
	Plan           []string       `json:"plan"`
	Refusals       []plan.Finding `json:"refusals"`
	Warnings       []plan.Finding `json:"warnings"`
	LeftOut        []LeftOutJSON  `json:"left_out"`
}

// StateJSON is one migration's state.
type StateJSON struct {
	ID        string `json:"id"`
	Release   string `json:"release"`
	State     string `json:"state"`
	AppliedAs string `json:"applied_as"`
	Drifted   bool   `json:"drifted"`
	Attempts  int    `json:"attempts"`
	LastAt    string `json:"last_at,omitempty"`
}

// LeftOutJSON is a migration in a range by version that only a side line
// of history carries, with the reason it is left out.
type LeftOutJSON struct {
	ID      string `json:"id"`
	Release string `json:"release"`
	Reason  string `json:"reason"`
}

// NewStatusJSON renders a planner result.
func NewStatusJSON(res *plan.Result) StatusJSON {
	out := StatusJSON{
		CurrentRelease: res.Current.String(),
		Target:         res.Target.String(),
		Migrations:     []StateJSON{},
		Plan:           []string{},
		Refusals:       append([]plan.Finding{}, res.Refusals...),
		Warnings:       append([]plan.Finding{}, res.Warnings...),
		LeftOut:        []LeftOutJSON{},
	}
	for _, m := range res.Migrations {
		s := StateJSON{ID: m.Migration.ID, Release: m.Release.String(), State: string(m.State),
			AppliedAs: string(m.AppliedAs), Drifted: m.Drifted, Attempts: m.Attempts}
		if m.Latest != nil {
			s.LastAt = m.Latest.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		out.Migrations = append(out.Migrations, s)
	}
	for _, e := range res.Plan {
		out.Plan = append(out.Plan, e.Migration.ID)
	}
	for _, l := range res.LeftOut {
		out.LeftOut = append(out.LeftOut, LeftOutJSON{ID: l.ID, Release: l.Release.String(), Reason: l.Reason})
	}
	return out
}

// WriteStatus is the table view of a plan: it renders the states of the migrations up to the target
// and the plan on out, fitting width columns (0: no limit), and refusals
// and warnings on errOut.
func WriteStatus(out, errOut io.Writer, res *plan.Result, all bool, width int) error {
	current := res.Current.String()
	if current == "" {
		current = "none (nothing applied up to the first release)"
	}
	fmt.Fprintf(errOut, "database at %s; target %s; %s to run\n", current, res.Target, table.Plural(len(res.Plan), "migration"))
	planned := map[string]int{}
	for i, e := range res.Plan {
		planned[e.Migration.ID] = i + 1
	}
	sideLine := map[string]bool{}
	for _, l := range res.LeftOut {
		sideLine[l.ID] = true
	}
	t := table.New(out, "RELEASE", "MIGRATION", "STATE", "NOTES")
	t.Fit(width, table.Keep, table.CutMiddle(24), table.Keep, table.CutEnd(20))
	for _, m := range res.Migrations {
		n, inPlan := planned[m.Migration.ID]
		if !all && !inPlan && m.State == plan.Applied && !m.Drifted {
			continue
		}
		state := string(m.State)
		if m.AppliedAs != "" && string(m.AppliedAs) != "succeeded" {
			state += " (" + string(m.AppliedAs) + ")"
		}
		var notes []string
		if inPlan {
			notes = append(notes, fmt.Sprintf("plan #%d", n))
		} else if sideLine[m.Migration.ID] {
			notes = append(notes, "side line only: not part of an upgrade to "+res.Target.String())
		} else if m.State != plan.Applied {
			notes = append(notes, "beyond the target")
		}
		if m.Drifted {
			notes = append(notes, "content changed since applied")
		}
		if m.Latest != nil {
			notes = append(notes, "last "+m.Latest.StartedAt.UTC().Format("2006-01-02 15:04"))
		}
		t.Row(m.Release.String(), m.Migration.ID, state, strings.Join(notes, "; "))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, l := range res.LeftOut {
		fmt.Fprintf(errOut, "left out %s (%s): %s\n", l.ID, l.Release, l.Reason)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(errOut, "warning: %s\n", w)
	}
	for _, r := range res.Refusals {
		fmt.Fprintf(errOut, "refused: %s\n", r)
	}
	return nil
}

// ReportJSON is the `relmig up --output json` document: the state after
// the run, and what ran.
type ReportJSON struct {
	StatusJSON
	DryRun       bool           `json:"dry_run"`
	Applied      []string       `json:"applied"`
	Failed       *string        `json:"failed"`
	Requirements []plan.Finding `json:"requirements"`
	RunID        string         `json:"run_id,omitempty"`
	Results      []ResultJSON   `json:"results"`
}

// ResultJSON is what running one migration did.
type ResultJSON struct {
	ID         string `json:"id"`
	Release    string `json:"release"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	ExitCode   *int   `json:"exit_code"`
	Signal     string `json:"signal,omitempty"`
	LogFile    string `json:"log_file,omitempty"`
	Error      string `json:"error,omitempty"`
	// Progress is the script's last progress line, when it printed one.
	Progress *history.Progress `json:"progress,omitempty"`
}

// JSON is the report's JSON view.
func (r *Report) JSON() ReportJSON {
	doc := ReportJSON{DryRun: r.DryRun, Applied: r.Applied(), Requirements: append([]plan.Finding{}, r.Requirements...), Results: []ResultJSON{}}
	if !r.DryRun {
		doc.RunID = r.RunID
	}
	state := r.After
	if state == nil {
		state = r.Plan
	}
	if state != nil {
		doc.StatusJSON = NewStatusJSON(state)
	}
	if r.Ahead {
		doc.Plan, doc.Refusals = []string{}, []plan.Finding{}
	}
	if f := r.Failed(); f != nil {
		id := f.ID
		doc.Failed = &id
	}
	for _, x := range r.Results {
		rj := ResultJSON{ID: x.ID, Release: x.Release, Status: string(x.Status), DurationMS: x.Duration.Milliseconds(),
			ExitCode: x.ExitCode, Signal: x.Signal, LogFile: x.LogFile, Progress: x.Progress}
		if x.Err != nil {
			rj.Error = x.Err.Error()
		}
		doc.Results = append(doc.Results, rj)
	}
	return doc
}

// WriteResults is the table view of what ran: one row per migration.
func (r *Report) WriteResults(w io.Writer) error {
	t := table.New(w, "MIGRATION", "RELEASE", "STATUS", "DURATION", "EXIT")
	for _, x := range r.Results {
		exit := ""
		switch {
		case x.ExitCode != nil:
			exit = fmt.Sprint(*x.ExitCode)
		case x.Signal != "":
			exit = x.Signal
		}
		t.Row(x.ID, x.Release, string(x.Status), x.Duration.Round(time.Millisecond).String(), exit)
	}
	return t.Flush()
}
