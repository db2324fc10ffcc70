package upcmd

import (
	"fmt"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner"
)

// progress reports each migration on stderr as it starts and ends: which
// one of how many, and how long it took.
func progress(f *cmdutil.Factory) func(runner.Event) {
	return func(ev runner.Event) {
		w := f.IO.ErrOut
		id := ev.Entry.Migration.ID
		switch ev.Kind {
		case runner.EventSetup:
			fmt.Fprintf(w, "      %s\n", ev.Note)
		case runner.EventStart:
			fmt.Fprintf(w, "[%d/%d] %s %s\n", ev.N, ev.Total, ev.Entry.Release, id)
		case runner.EventEnd:
			r := ev.Result
			line := fmt.Sprintf("[%d/%d] %s %s in %s", ev.N, ev.Total, r.Status, id, r.Duration.Round(time.Millisecond))
			if r.Status != history.Succeeded && r.LogFile != "" {
				line += "; log: " + r.LogFile
			}
			fmt.Fprintln(w, line)
		}
	}
}

// writeSummary prints one line per migration that ran and the outcome.
func writeSummary(f *cmdutil.Factory, results []runner.Result, runErr error) {
	t := cmdutil.NewTable(f.IO.Out, "MIGRATION", "RELEASE", "STATUS", "DURATION", "EXIT")
	for _, r := range results {
		exit := ""
		switch {
		case r.ExitCode != nil:
			exit = fmt.Sprint(*r.ExitCode)
		case r.Signal != "":
			exit = r.Signal
		}
		t.Row(r.ID, r.Release, string(r.Status), r.Duration.Round(time.Millisecond).String(), exit)
	}
	_ = t.Flush()
	applied := 0
	for _, r := range results {
		if r.Status == history.Succeeded {
			applied++
		}
	}
	if runErr == nil {
		fmt.Fprintf(f.IO.ErrOut, "done: %s applied\n", cmdutil.Plural(applied, "migration"))
	}
}
