package cmdutil

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relmig/relmig/history"
)

// TimeLayout is how tables show record times: UTC to the second, so rows
// from different hosts compare at a glance.
const TimeLayout = "2006-01-02 15:04:05"

// reasonWidth caps the REASON column; the full text is in --output json.
const reasonWidth = 60

// WriteAttempts renders history records as the history table: STARTED,
// MIGRATION, RELEASE, STATUS, DURATION, EXIT, RUN, BY, REASON.
func WriteAttempts(w io.Writer, as []history.Attempt) error {
	t := NewTable(w, "STARTED", "MIGRATION", "RELEASE", "STATUS", "DURATION", "EXIT", "RUN", "BY", "REASON")
	for _, a := range as {
		t.Row(a.StartedAt.UTC().Format(TimeLayout), a.Migration, dash(a.Release), string(a.Status),
			Duration(a), Exit(a), dash(a.RunID), ActorName(a.By), dash(Truncate(a.Reason, reasonWidth)))
	}
	return t.Flush()
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

// Truncate returns s on one line, cut to at most n runes with an ellipsis.
func Truncate(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// ReportSuperseded tells the operator, on w, that taking or breaking the
// lock displaced another run's lease, and which of that run's attempts
// became interrupted; verb is "took over" or "broke".
func ReportSuperseded(w io.Writer, verb string, s *history.Superseded) {
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
