package upcmd

import (
	"fmt"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/upgrade"
)

// events reports the upgrade's progress on stderr: the lock, the run, and
// each migration as it starts and ends.
func events(f *cmdutil.Factory) func(upgrade.Event) {
	migration := progress(f)
	return func(ev upgrade.Event) {
		w := f.IO.ErrOut
		switch ev.Kind {
		case upgrade.EventLockWait:
			fmt.Fprintf(w, "taking the lock (waiting up to %s)\n", ev.Wait)
		case upgrade.EventTookOver:
			fmt.Fprintf(w, "took over the expired lock of %s\n", ev.Superseded.Previous.Owner)
			for _, a := range ev.Superseded.Interrupted {
				fmt.Fprintf(w, "  %s: its running attempt (started %s) is now recorded as interrupted\n", a.Migration, a.StartedAt.UTC().Format(time.RFC3339))
			}
		case upgrade.EventRun:
			fmt.Fprintf(w, "run %s: %s to %s\n", ev.RunID, cmdutil.Plural(ev.Planned, "migration"), ev.Target)
		case upgrade.EventMigration:
			migration(*ev.Runner)
		}
	}
}

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
			if r.OutputErr != nil {
				fmt.Fprintf(w, "warning: %s: its output was not all written (the script's outcome stands): %v\n", id, r.OutputErr)
			}
		}
	}
}
