package process

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseProgress(t *testing.T) {
	for _, tc := range []struct {
		line        string
		ok          bool
		done, total int64
	}{
		{"relmig:progress 1234/1000000", true, 1234, 1000000},
		{"relmig:progress 0/0", true, 0, 0},
		{"relmig:progress 42", true, 42, 0},
		{"relmig:progress 7/5", true, 7, 5}, // an estimated total may be passed
		{"relmig:progress 10/20 \t\r", true, 10, 20},
		{"relmig:progress 0009/010", true, 9, 10},
		{"relmig:progress 9223372036854775807/9223372036854775807", true, 1<<63 - 1, 1<<63 - 1},
		{"relmig:progress 9223372036854775808", false, 0, 0},
		{"relmig:progress 12345678901234567890", false, 0, 0},
		{"relmig:progress ", false, 0, 0},
		{"relmig:progress", false, 0, 0},
		{"relmig:progress /10", false, 0, 0},
		{"relmig:progress 10/", false, 0, 0},
		{"relmig:progress -1/10", false, 0, 0},
		{"relmig:progress +1/10", false, 0, 0},
		{"relmig:progress 1,000/2,000", false, 0, 0},
		{"relmig:progress 1/2/3", false, 0, 0},
		{"relmig:progress 1 / 2", false, 0, 0},
		{"relmig:progress  1/2", false, 0, 0},
		{"relmig:progress 1/2 users", false, 0, 0},
		{"relmig:progress 1.5/2", false, 0, 0},
		{" relmig:progress 1/2", false, 0, 0},
		{"RELMIG:PROGRESS 1/2", false, 0, 0},
		{"relmig:progress\t1/2", false, 0, 0},
		{"relmig:progress １/2", false, 0, 0}, // a full-width digit
		{"progress 1/2", false, 0, 0},
	} {
		p, ok := ParseProgress([]byte(tc.line))
		if ok != tc.ok || p.Done != tc.done || p.Total != tc.total {
			t.Errorf("ParseProgress(%q) = %+v, %v; want done %d total %d, %v", tc.line, p, ok, tc.done, tc.total, tc.ok)
		}
	}
}

func FuzzParseProgress(f *testing.F) {
	for _, s := range []string{"relmig:progress 1/2", "relmig:progress 3", "relmig:progress 0/0\r", "relmig:progress 99999999999999999999", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p, ok := ParseProgress(line)
		if !ok {
			if p != (Progress{}) {
				t.Fatalf("rejected %q but returned %+v", line, p)
			}
			return
		}
		if !bytes.HasPrefix(line, []byte(ProgressPrefix)) || p.Done < 0 || p.Total < 0 || bytes.ContainsAny(line, "\n") {
			t.Fatalf("accepted %q as %+v", line, p)
		}
		// What is accepted prints back as the canonical form, which parses
		// to the same values.
		canon := ProgressPrefix + itoa(p.Done)
		if bytes.Contains(line, []byte{'/'}) {
			canon += "/" + itoa(p.Total)
		}
		q, ok := ParseProgress([]byte(canon))
		if !ok || q != p {
			t.Fatalf("%q parsed as %+v, its canonical form %q as %+v, %v", line, p, canon, q, ok)
		}
		// The filter takes the same line out of a stream, whole or cut.
		var got []Progress
		var passed bytes.Buffer
		fl := progressFilter{found: func(p Progress) { got = append(got, p) }}
		in := append(append([]byte("a\n"), line...), "\nb\n"...)
		half := len(in) / 2
		fl.write(in[:half], func(b []byte) { passed.Write(b) })
		fl.write(in[half:], func(b []byte) { passed.Write(b) })
		fl.flush(func(b []byte) { passed.Write(b) })
		if len(got) != 1 || got[0] != p || passed.String() != "a\nb\n" {
			t.Fatalf("filter on %q: found %+v, passed %q", in, got, passed.String())
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestProgressFilterEverySplit feeds one stream cut at every position (and
// byte by byte) and wants the same ordinary output and progress each time.
func TestProgressFilterEverySplit(t *testing.T) {
	in := "start\nrelmig:progress 1/4\nrelmig:progress 2/4\r\nrelmig:prog\nrelmig:progress x\nrelmig:progress 3\n" +
		"relmig:progress 9/9 more\n" + "relmig:progress " + strings.Repeat("1", 200) + "\n\n" +
		"tail relmig:progress 5/5\nrelmig:progress 4/4"
	wantOut := "start\nrelmig:prog\nrelmig:progress x\nrelmig:progress 9/9 more\nrelmig:progress " + strings.Repeat("1", 200) + "\n\n" +
		"tail relmig:progress 5/5\n"
	want := []Progress{{Done: 1, Total: 4}, {Done: 2, Total: 4}, {Done: 3}, {Done: 4, Total: 4}}
	run := func(cuts []int) (string, []Progress) {
		var out bytes.Buffer
		var got []Progress
		f := progressFilter{found: func(p Progress) { got = append(got, p) }}
		pass := func(b []byte) { out.Write(b) }
		prev := 0
		for _, c := range append(cuts, len(in)) {
			f.write([]byte(in[prev:c]), pass)
			prev = c
		}
		f.flush(pass)
		return out.String(), got
	}
	check := func(what string, out string, got []Progress) {
		t.Helper()
		if out != wantOut {
			t.Fatalf("%s: output\n%q\nwant\n%q", what, out, wantOut)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: progress %+v, want %+v", what, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: progress %+v, want %+v", what, got, want)
			}
		}
	}
	out, got := run(nil)
	check("whole", out, got)
	for c := 0; c <= len(in); c++ {
		out, got := run([]int{c})
		check("cut at "+itoa(int64(c)), out, got)
	}
	var every []int
	for c := 1; c < len(in); c++ {
		every = append(every, c)
	}
	out, got = run(every)
	check("byte by byte", out, got)
}

// TestRunProgress runs a real child that reports progress: the lines reach
// OnProgress and the log file, but neither the live output nor the tail.
func TestRunProgress(t *testing.T) {
	var live bytes.Buffer
	var seen []Progress
	spec := helperSpec("progress", "3")
	spec.Live = &live
	spec.LogFile = filepath.Join(t.TempDir(), "p.log")
	spec.OnProgress = func(p Progress) { seen = append(seen, p) }
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(seen) != 3 || seen[2].Done != 3 || seen[2].Total != 3 || seen[0].At.IsZero() {
		t.Fatalf("progress %+v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Elapsed < seen[i-1].Elapsed || seen[i].At.Before(seen[i-1].At) {
			t.Errorf("progress not in order: %+v", seen)
		}
	}
	if res.Progress == nil || *res.Progress != seen[2] {
		t.Errorf("Result.Progress = %+v, want the last one %+v", res.Progress, seen[2])
	}
	if strings.Contains(live.String(), "relmig:progress") || strings.Contains(res.Tail, "relmig:progress") {
		t.Errorf("progress lines in the live output %q or the tail %q", live.String(), res.Tail)
	}
	if !strings.Contains(live.String(), "batch 2 written") || !strings.Contains(res.Tail, "batch 3 written") {
		t.Errorf("ordinary output lost: live %q, tail %q", live.String(), res.Tail)
	}
	log, err := os.ReadFile(spec.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "relmig:progress 2/3\n") {
		t.Errorf("log file lacks the progress lines:\n%s", log)
	}
}

// TestRunNoProgress: a script that never reports has no Result.Progress.
func TestRunNoProgress(t *testing.T) {
	res, err := Run(context.Background(), helperSpec("echo", "relmig:progress nope"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Progress != nil || !strings.Contains(res.Tail, "relmig:progress nope") {
		t.Errorf("progress %+v, tail %q", res.Progress, res.Tail)
	}
}

// TestRunHeartbeat: a silent child gets heartbeats. The child waits, silent,
// until the test has seen two of them, so nothing depends on timing.
func TestRunHeartbeat(t *testing.T) {
	release := filepath.Join(t.TempDir(), "go-on")
	beats := make(chan Silence, 100)
	spec := helperSpec("silent-until", release)
	spec.HeartbeatAfter, spec.HeartbeatEvery = 20*time.Millisecond, 10*time.Millisecond
	spec.OnSilent = func(s Silence) { beats <- s }
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = Run(context.Background(), spec)
		done <- err
	}()
	first, second := <-beats, <-beats
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, b := range []Silence{first, second} {
		if b.Silent < spec.HeartbeatAfter || b.Elapsed < b.Silent {
			t.Errorf("heartbeat %+v: silent less than %s, or longer than it ran", b, spec.HeartbeatAfter)
		}
	}
	// The child's first line may come after the first heartbeat, so only
	// the order is certain.
	if second.Elapsed <= first.Elapsed {
		t.Errorf("heartbeats %+v then %+v", first, second)
	}
	if res.Duration < second.Elapsed {
		t.Errorf("ran %s, but a heartbeat said %s", res.Duration, second.Elapsed)
	}
	// None after Run returned.
	close(beats)
	for b := range beats {
		if b.Elapsed > res.Duration {
			t.Errorf("heartbeat %+v after the end (%s)", b, res.Duration)
		}
	}
}

// TestRunNoHeartbeatWithoutInterval: no interval, no heartbeat.
func TestRunNoHeartbeatWithoutInterval(t *testing.T) {
	spec := helperSpec("echo", "hi")
	spec.OnSilent = func(Silence) { t.Error("heartbeat without an interval") }
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	spec.HeartbeatAfter = -time.Second
	if _, err := Run(context.Background(), spec); err == nil {
		t.Error("negative heartbeat accepted")
	}
}
