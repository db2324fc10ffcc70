package cmdutil

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/lock"

	"github.com/relmig/relmig/history"
)

// TimeLayout is how tables show record times: UTC to the second, so rows
// from different hosts compare at a glance.
const TimeLayout = "2006-01-02 15:04:05"

// reasonWidth caps the REASON column; the full text is in --output json.
const reasonWidth = 60

// WriteAttempts renders history records as the history table. In full
// (width 0: --output wide, or stdout not a terminal): STARTED, MIGRATION,
// RELEASE, STATUS, DURATION, EXIT, RUN, BY, REASON. To fit a terminal of
// width columns: STARTED to the minute, no EXIT or BY, run ids shortened
// (ShortRunID), long ids and reasons cut. When a listed attempt recorded
// progress, a PROGRESS column follows DURATION (ProgressCell).
func WriteAttempts(w io.Writer, as []history.Attempt, width int) error {
	withProgress := false
	for _, a := range as {
		withProgress = withProgress || a.Progress != nil
	}
	// progress inserts the PROGRESS cell after DURATION, when shown.
	progress := func(cells []string, cell string) []string {
		if !withProgress {
			return cells
		}
		return append(cells[:5:5], append([]string{cell}, cells[5:]...)...)
	}
	if width > 0 {
		t := table.New(w, progress([]string{"STARTED", "MIGRATION", "RELEASE", "STATUS", "DURATION", "RUN", "REASON"}, "PROGRESS")...)
		modes := []table.Shrink{table.Keep, table.CutMiddle(24), table.Keep, table.Keep, table.Keep, table.Keep, table.CutEnd(12)}
		if withProgress {
			modes = []table.Shrink{table.Keep, table.CutMiddle(20), table.Keep, table.Keep, table.Keep, table.Keep, table.Keep, table.CutEnd(10)}
		}
		t.Fit(width, modes...)
		for _, a := range as {
			t.Row(progress([]string{a.StartedAt.UTC().Format(shortTimeLayout), a.Migration, dash(a.Release), string(a.Status),
				Duration(a), dash(ShortRunID(a.RunID)), dash(oneLine(a.Reason))}, ProgressCell(a.Progress, true))...)
		}
		return t.Flush()
	}
	t := table.New(w, progress([]string{"STARTED", "MIGRATION", "RELEASE", "STATUS", "DURATION", "EXIT", "RUN", "BY", "REASON"}, "PROGRESS")...)
	for _, a := range as {
		t.Row(progress([]string{a.StartedAt.UTC().Format(TimeLayout), a.Migration, dash(a.Release), string(a.Status),
			Duration(a), Exit(a), dash(a.RunID), ActorName(a.By), dash(table.Truncate(a.Reason, reasonWidth))}, ProgressCell(a.Progress, false))...)
	}
	return t.Flush()
}

// shortTimeLayout is TimeLayout to the minute, for tables that must fit.
const shortTimeLayout = "2006-01-02 15:04"

// ShortRunID shortens a run id (20261122T040603Z-ebc3d0912ea68fda) to the
// first 8 characters of its random part (ebc3d091), as git shortens
// commits; the start time is in its own column. Other ids are kept.
func ShortRunID(id string) string {
	if i := strings.LastIndexByte(id, '-'); i >= 0 && len(id)-i-1 > 8 {
		return id[i+1 : i+9]
	}
	return id
}

// Duration shows how long a script ran. Operator decisions (baselined,
// skipped, a failure recorded by `relmig mark`) and running attempts have
// no duration worth showing: "-".
func Duration(a history.Attempt) string {
	switch a.Status {
	case history.Succeeded, history.Failed, history.Interrupted:
	default:
		return "-"
	}
	if a.DurationMS == 0 && a.ExitCode == nil && a.Signal == "" {
		return "-" // nothing ran: a mark, or a script that never started
	}
	d := time.Duration(a.DurationMS) * time.Millisecond
	switch {
	case d < time.Second:
		return d.String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// Exit shows how a script ended: its exit code, else the signal that
// stopped it, else "-".
func Exit(a history.Attempt) string {
	switch {
	case a.ExitCode != nil:
		return strconv.Itoa(*a.ExitCode)
	case a.Signal != "":
		return a.Signal
	}
	return "-"
}

// ActorName shows who wrote a record as user@host.
func ActorName(a history.Actor) string {
	if a.User == "" && a.Host == "" {
		return "-"
	}
	return a.User + "@" + a.Host
}

// ReportSuperseded tells the operator, on w, that taking or breaking the
// lock displaced another run's lease, and which of that run's attempts
// became interrupted; verb is "took over" or "broke".
func ReportSuperseded(w io.Writer, verb string, s *lock.Superseded) {
	prev := s.Previous
	fmt.Fprintf(w, "%s lock %s of %s, acquired %s, expires %s\n", verb, prev.Name, prev.Owner,
		prev.Acquired.UTC().Format(TimeLayout), prev.Expires.UTC().Format(TimeLayout))
	for _, a := range s.Interrupted {
		fmt.Fprintf(w, "marked interrupted: %s (record %s, started %s)\n", a.Migration, a.ID, a.StartedAt.UTC().Format(TimeLayout))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
