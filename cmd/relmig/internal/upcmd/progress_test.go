package upcmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

func entry(t *testing.T, id string) releasemap.RangeEntry {
	t.Helper()
	v, err := releasemap.ParseVersion("v2.0.0", "v")
	if err != nil {
		t.Fatal(err)
	}
	return releasemap.RangeEntry{Entry: releasemap.Entry{Release: v, Migration: &releasemap.Migration{ID: id}}}
}

// feed feeds a reporter one migration's events: start, then the given
// events, then a successful end.
func feed(t *testing.T, r *reporter, evs ...runner.Event) {
	t.Helper()
	e := entry(t, "users/backfill.js")
	r.Event(runner.Event{Kind: runner.EventStart, N: 2, Total: 3, Entry: e})
	for _, ev := range evs {
		ev.Entry = e
		if ev.Kind == runner.EventSetup { // stands for a line of output here
			_, _ = r.Write([]byte(ev.Note))
			continue
		}
		r.Event(ev)
	}
	r.Event(runner.Event{Kind: runner.EventEnd, N: 2, Total: 3, Entry: e, Result: &runner.Result{Status: history.Succeeded, Duration: 2 * time.Minute}})
}

func prog(done, total int64, at time.Duration) runner.Event {
	return runner.Event{Kind: runner.EventProgress, Progress: &history.Progress{Done: done, Total: total}, Elapsed: at}
}

func beat(elapsed, silent time.Duration) runner.Event {
	return runner.Event{Kind: runner.EventHeartbeat, Elapsed: elapsed, Silent: silent}
}

func output(s string) runner.Event { return runner.Event{Kind: runner.EventSetup, Note: s} }

// TestReporterLog: in a log, heartbeats and progress are plain lines; a
// progress line for the first report, then at most one per interval, and
// the one that reaches the total.
func TestReporterLog(t *testing.T) {
	var b bytes.Buffer
	r := newReporter(&b, false, 0, 0)
	if after, every := r.intervals(); after != logHeartbeat || every != logHeartbeat {
		t.Errorf("intervals %s, %s", after, every)
	}
	feed(t, r,
		output("  │ scanning\n"),
		beat(2*time.Minute+3*time.Second, 2*time.Minute),
		prog(0, 1000000, 2*time.Minute+10*time.Second),
		prog(100000, 1000000, 2*time.Minute+20*time.Second),
		prog(200000, 1000000, 2*time.Minute+30*time.Second),
		prog(600000, 1000000, 4*time.Minute+10*time.Second),
		prog(1000000, 1000000, 4*time.Minute+20*time.Second),
		prog(1000000, 1000000, 4*time.Minute+21*time.Second),
	)
	want := `[2/3] v2.0.0 users/backfill.js
  │ scanning
[2/3] users/backfill.js: still running, 2m03s; no output for 2m00s
[2/3] users/backfill.js: 0/1000000 (0%), 2m10s in
[2/3] users/backfill.js: 600000/1000000 (60%), 5000/s, about 1m20s left, 4m10s in
[2/3] users/backfill.js: 1000000/1000000 (100%), 7692/s, 4m20s in
[2/3] succeeded users/backfill.js in 2m0s
`
	if b.String() != want {
		t.Errorf("log output:\n%s\nwant:\n%s", b.String(), want)
	}
	if strings.Contains(b.String(), "\r") || strings.Contains(b.String(), "\x1b") {
		t.Error("terminal codes in a log")
	}
}

// TestReporterTerminal: on a terminal, one live line: "still running"
// during a silence (gone when output comes), then a bar with rate and
// ETA, redrawn after each line of output and cleared before the end line.
func TestReporterTerminal(t *testing.T) {
	var b bytes.Buffer
	r := newReporter(&b, true, 80, 0)
	if after, every := r.intervals(); after != ttyHeartbeat || every != ttyRedraw {
		t.Errorf("intervals %s, %s", after, every)
	}
	feed(t, r,
		beat(6*time.Second, 6*time.Second),
		beat(7*time.Second, 7*time.Second),
		output("  │ scanning\n"),
		prog(0, 1000000, 10*time.Second),
		prog(412000, 1000000, 60*time.Second),
		prog(412001, 1000000, 60*time.Second+time.Millisecond), // too soon: not drawn
		output("  │ batch written\n"),
		beat(75*time.Second, 15*time.Second),
	)
	got := strings.ReplaceAll(b.String(), "\x1b[K", "⌫")
	want := "[2/3] v2.0.0 users/backfill.js\n" +
		"\r⌫  still running, 6s; no output for 6s" +
		"\r⌫  still running, 7s; no output for 7s" +
		"\r⌫  │ scanning\n" +
		"\r⌫  [░░░░░░░░░░░░░░░░░░░░░░░░░░]    0%  0/1.00M  10s" +
		"\r⌫  [██████████░░░░░░░░░░░░░░░░]   41%  412k/1.00M  8240/s  ETA 1m11s  1m00s" +
		"\r⌫  │ batch written\n" +
		"\r⌫  [██████████░░░░░░░░░░░░░░░░]   41%  412k/1.00M  8239/s  ETA 1m11s  1m00s" +
		"\r⌫  [██████████░░░░░░░░░░░░░░░░]   41%  412k/1.00M  8239/s  ETA 1m11s  1m15s" +
		"\r⌫[2/3] succeeded users/backfill.js in 2m0s\n"
	if got != want {
		t.Errorf("terminal output:\n%q\nwant:\n%q", got, want)
	}
	for _, line := range strings.Split(strings.ReplaceAll(got, "\r", "\n"), "\n") {
		if n := len([]rune(strings.TrimPrefix(line, "⌫"))); n >= 80 {
			t.Errorf("line of %d columns on an 80-column terminal: %q", n, line)
		}
	}
}

// TestReporterTerminalNarrowAndNoTotal: without a total, a count; on a
// narrow terminal the bar gives way and the line is cut, never wrapped.
func TestReporterTerminalNarrowAndNoTotal(t *testing.T) {
	var b bytes.Buffer
	r := newReporter(&b, true, 40, 0)
	feed(t, r, prog(5, 0, time.Second), prog(25000, 0, 11*time.Second), prog(10, 100, 12*time.Second))
	got := strings.ReplaceAll(b.String(), "\x1b[K", "⌫")
	for _, want := range []string{"\r⌫  5 done  1s", "\r⌫  25.0k done  2499/s  11s", "]   10%  10/100  12s"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%q", want, got)
		}
	}
}

// TestReporterEndShowsProgress: an attempt that did not succeed says how
// far it got.
func TestReporterEndShowsProgress(t *testing.T) {
	var b bytes.Buffer
	r := newReporter(&b, false, 0, time.Minute)
	e := entry(t, "big.js")
	r.Event(runner.Event{Kind: runner.EventEnd, N: 1, Total: 1, Entry: e, Result: &runner.Result{
		Status: history.Interrupted, Duration: 90 * time.Second, LogFile: "/logs/big.js.log",
		Progress: &history.Progress{Done: 40, Total: 100},
	}})
	if want := "[1/1] interrupted big.js in 1m30s, reached 40/100 (40%); log: /logs/big.js.log\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 400 * time.Millisecond: "0s", 12 * time.Second: "12s", 5*time.Minute + 12*time.Second: "5m12s",
		time.Hour + 5*time.Minute + 40*time.Second: "1h06m",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
