package upcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/upgrade"
)

// How progress shows on stderr. On a terminal, one live line under the
// script's output, rewritten in place: a bar once the script reports
// progress, else "still running" once it has been silent for
// ttyHeartbeat; it is redrawn every ttyRedraw while the script is silent
// and at most every barRedraw while progress comes in. In a log (stderr
// not a terminal), plain lines: a heartbeat after logHeartbeat of
// silence and every logHeartbeat after, and a progress line for the first
// report, then at most one per logHeartbeat, and for the report that
// reaches the total. --heartbeat replaces ttyHeartbeat or logHeartbeat.
const (
	ttyHeartbeat = 5 * time.Second
	ttyRedraw    = time.Second
	barRedraw    = 100 * time.Millisecond
	logHeartbeat = 2 * time.Minute
)

// addProgressFlags adds the flags of progress reporting to fl.
func addProgressFlags(fl *pflag.FlagSet, opts *Options) {
	fl.DurationVar(&opts.Heartbeat, "heartbeat", 0, "say that a silent script still runs after this long, and how often progress lines are written when stderr is not a terminal (default 5s on a terminal, 2m otherwise)")
}

// reporter renders a run's events and its scripts' live output on stderr.
// It is the runner's Live writer and Events function at once, so the live
// line is cleared before output and drawn again after it. Everything it
// shows comes from the events (their elapsed times included), so what it
// prints follows from what it is given.
type reporter struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	width int
	every time.Duration // the heartbeat; in a log also the progress interval
	drawn bool          // a live line is on the screen (terminal)
	cur   script
}

// script is what the reporter knows of the migration under way.
type script struct {
	n, total int
	id       string
	midLine  bool // its output ended without a newline
	bar      bool // the live line is its progress bar
	first    *sample
	last     *sample
	elapsed  time.Duration
	drawnAt  time.Duration
	loggedAt time.Duration
	logged   bool
	ended    bool // the last progress line logged reached the total
}

// sample is one progress report and when, in the script's time, it came.
type sample struct {
	done, total int64
	at          time.Duration
}

// newReporter returns a reporter on w; tty says w is a terminal width
// columns wide (0: 80); heartbeat (0: the default for tty) is the
// silence after which a script is said to still run.
func newReporter(w io.Writer, tty bool, width int, heartbeat time.Duration) *reporter {
	if width <= 0 {
		width = 80
	}
	if heartbeat <= 0 {
		heartbeat = logHeartbeat
		if tty {
			heartbeat = ttyHeartbeat
		}
	}
	return &reporter{w: w, tty: tty, width: width, every: heartbeat}
}

// progressReporter builds the reporter for f's stderr.
func progressReporter(f *cmdutil.Factory, heartbeat time.Duration) *reporter {
	return newReporter(f.IO.ErrOut, f.IO.ErrTTY, f.IO.ErrWidth, heartbeat)
}

// intervals are the runner's heartbeat options: the first heartbeat after
// the silence, then every ttyRedraw on a terminal (the live line counts
// on), every heartbeat in a log.
func (r *reporter) intervals() (after, every time.Duration) {
	if r.tty {
		return r.every, ttyRedraw
	}
	return r.every, r.every
}

// Write is the scripts' live output.
func (r *reporter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	n, err := r.w.Write(p)
	if len(p) > 0 {
		r.cur.midLine = p[len(p)-1] != '\n'
	}
	// Output ends a silence: only a bar comes back.
	if r.cur.bar {
		r.drawBar()
	}
	return n, err
}

// Event renders one runner event.
func (r *reporter) Event(ev runner.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := ev.Entry.Migration.ID
	switch ev.Kind {
	case runner.EventSetup:
		r.clear()
		fmt.Fprintf(r.w, "      %s\n", ev.Note)
	case runner.EventStart:
		r.clear()
		fmt.Fprintf(r.w, "[%d/%d] %s %s\n", ev.N, ev.Total, ev.Entry.Release, id)
		r.cur = script{n: ev.N, total: ev.Total, id: id}
	case runner.EventEnd:
		r.clear()
		res := ev.Result
		line := fmt.Sprintf("[%d/%d] %s %s in %s", ev.N, ev.Total, res.Status, id, res.Duration.Round(time.Millisecond))
		if res.Status != history.Succeeded && res.Progress != nil {
			line += ", reached " + cmdutil.ProgressText(*res.Progress)
		}
		if res.Status != history.Succeeded && res.LogFile != "" {
			line += "; log: " + res.LogFile
		}
		fmt.Fprintln(r.w, line)
		if res.OutputErr != nil {
			fmt.Fprintf(r.w, "warning: %s: its output was not all written (the script's outcome stands): %v\n", id, res.OutputErr)
		}
		r.cur.bar = false
	case runner.EventProgress:
		r.progress(ev)
	case runner.EventHeartbeat:
		r.cur.elapsed = ev.Elapsed
		switch {
		case r.tty && r.cur.bar:
			r.drawBar()
		case r.tty:
			r.draw(fmt.Sprintf("  still running, %s; no output for %s", shortDuration(ev.Elapsed), shortDuration(ev.Silent)))
		default:
			fmt.Fprintf(r.w, "[%d/%d] %s: still running, %s; no output for %s\n", r.cur.n, r.cur.total, r.cur.id, shortDuration(ev.Elapsed), shortDuration(ev.Silent))
		}
	}
}

// Close clears the live line, before anything else is printed.
func (r *reporter) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
}

func (r *reporter) progress(ev runner.Event) {
	if ev.Progress == nil {
		return
	}
	s := sample{done: ev.Progress.Done, total: ev.Progress.Total, at: ev.Elapsed}
	if r.cur.first == nil || s.done < r.cur.last.done {
		r.cur.first = &s // a script that starts counting again starts the rate again
	}
	r.cur.last, r.cur.elapsed = &s, ev.Elapsed
	complete := s.total > 0 && s.done >= s.total
	if r.tty {
		r.cur.bar = true
		if complete || !r.drawn || ev.Elapsed-r.cur.drawnAt >= barRedraw {
			r.drawBar()
		}
		return
	}
	if !r.cur.logged || ev.Elapsed-r.cur.loggedAt >= r.every || complete && !r.cur.ended {
		r.cur.logged, r.cur.loggedAt, r.cur.ended = true, ev.Elapsed, complete
		fmt.Fprintf(r.w, "[%d/%d] %s: %s\n", r.cur.n, r.cur.total, r.cur.id, r.progressLine())
	}
}

// progressLine is the log form: counts, share, rate, time left, time in.
func (r *reporter) progressLine() string {
	s := *r.cur.last
	parts := []string{cmdutil.ProgressText(history.Progress{Done: s.done, Total: s.total})}
	if rate, ok := r.rate(); ok {
		parts = append(parts, rateText(rate))
		if left, ok := r.left(rate); ok {
			parts = append(parts, "about "+shortDuration(left)+" left")
		}
	}
	parts = append(parts, shortDuration(r.cur.elapsed)+" in")
	return strings.Join(parts, ", ")
}

// drawBar draws the terminal's progress line:
// "  [█████░░░░░]  41%  412k/1.00M  8.2k/s  ETA 1m11s  50s".
func (r *reporter) drawBar() {
	if r.cur.last == nil {
		return
	}
	s := *r.cur.last
	var right []string
	if s.total > 0 {
		pct, _ := history.Progress{Done: s.done, Total: s.total}.Percent()
		right = append(right, fmt.Sprintf("%3d%%", int(pct)), cmdutil.Compact(s.done)+"/"+cmdutil.Compact(s.total))
	} else {
		right = append(right, cmdutil.Compact(s.done)+" done")
	}
	if rate, ok := r.rate(); ok {
		right = append(right, rateText(rate))
		if left, ok := r.left(rate); ok {
			right = append(right, "ETA "+shortDuration(left))
		}
	}
	right = append(right, shortDuration(r.cur.elapsed))
	tail := "  " + strings.Join(right, "  ")
	line := "  " + strings.TrimLeft(tail, " ")
	if s.total > 0 {
		// A bar of a third of the width (at most 30 cells) unless the
		// numbers need the room; the line stays a column short of the
		// width, so it never wraps.
		cells := min(30, r.width/3, r.width-1-len([]rune(tail))-4)
		if cells >= 10 {
			pct, _ := history.Progress{Done: s.done, Total: s.total}.Percent()
			full := int(pct / 100 * float64(cells))
			line = "  [" + strings.Repeat("█", full) + strings.Repeat("░", cells-full) + "]" + tail
		}
	}
	r.cur.drawnAt = r.cur.elapsed
	r.draw(line)
}

// rate is the work per second since the first report of this attempt.
func (r *reporter) rate() (float64, bool) {
	if r.cur.first == nil || r.cur.last == nil || r.cur.last.at <= r.cur.first.at || r.cur.last.done <= r.cur.first.done {
		return 0, false
	}
	return float64(r.cur.last.done-r.cur.first.done) / (r.cur.last.at - r.cur.first.at).Seconds(), true
}

// left is how long the rest takes at rate.
func (r *reporter) left(rate float64) (time.Duration, bool) {
	s := r.cur.last
	if s.total <= 0 || s.done >= s.total || rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(s.total-s.done) / rate * float64(time.Second)), true
}

// draw replaces the live line with line (terminal only, and only at the
// start of a line of output).
func (r *reporter) draw(line string) {
	if !r.tty || r.cur.midLine {
		return
	}
	if rs := []rune(line); len(rs) > r.width-1 {
		line = string(rs[:r.width-1])
	}
	fmt.Fprint(r.w, "\r\x1b[K"+line)
	r.drawn = true
}

// clear removes the live line.
func (r *reporter) clear() {
	if r.drawn {
		fmt.Fprint(r.w, "\r\x1b[K")
		r.drawn = false
	}
}

// rateText is "8.2k/s".
func rateText(rate float64) string {
	if rate < 10 {
		return strconv.FormatFloat(rate, 'f', 1, 64) + "/s"
	}
	return cmdutil.Compact(int64(rate)) + "/s"
}

// shortDuration is "5m12s", "1h05m" or "12s".
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// Upgrade renders one event of the upgrade object: the lock, the run, and
// (through Event) each migration.
func (r *reporter) Upgrade(ev upgrade.Event) {
	if ev.Kind == upgrade.EventMigration {
		r.Event(*ev.Runner)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	switch ev.Kind {
	case upgrade.EventLockWait:
		fmt.Fprintf(r.w, "taking the lock (waiting up to %s)\n", ev.Wait)
	case upgrade.EventTookOver:
		fmt.Fprintf(r.w, "took over the expired lock of %s\n", ev.Superseded.Previous.Owner)
		for _, a := range ev.Superseded.Interrupted {
			fmt.Fprintf(r.w, "  %s: its running attempt (started %s) is now recorded as interrupted\n", a.Migration, a.StartedAt.UTC().Format(time.RFC3339))
		}
	case upgrade.EventRun:
		fmt.Fprintf(r.w, "run %s: %s to %s\n", ev.RunID, table.Plural(ev.Planned, "migration"), ev.Target)
	}
}
