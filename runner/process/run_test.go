package process

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relmig/relmig/internal/syncbuf"
)

// shEnv gives /bin/sh scripts a PATH; Run passes no environment of its own.
var shEnv = []string{"PATH=/usr/bin:/bin"}

// generous bounds a run that relmig stops: it must end, not be fast.
const generous = 10 * time.Second

func run(t *testing.T, spec Spec) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, spec)
}

func TestRunSuccess(t *testing.T) {
	live := &syncbuf.Buffer{}
	spec := helperSpec("echo", "hello world", "second")
	spec.Live, spec.Prefix = live, "  │ "
	res, err := run(t, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.ExitCode != 0 || res.Signal != "" || res.TimedOut || res.Interrupted || res.FinishedByMarker {
		t.Errorf("result = %+v, want a plain exit 0", res)
	}
	if want := "  │ hello world\n  │ second\n"; live.String() != want {
		t.Errorf("live = %q, want %q", live.String(), want)
	}
	if res.Tail != "hello world\nsecond\n" {
		t.Errorf("tail = %q", res.Tail)
	}
	if res.OutputErr != nil {
		t.Errorf("OutputErr = %v", res.OutputErr)
	}
	if !strings.HasPrefix(res.String(), "exit 0 after ") {
		t.Errorf("String() = %q", res.String())
	}
}

func TestRunExitCode(t *testing.T) {
	res, err := run(t, helperSpec("exit", "3"))
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	if ee.ExitCode != 3 || res.ExitCode != 3 || ee.Signal != "" {
		t.Errorf("exit code = %d/%d signal %q, want 3", ee.ExitCode, res.ExitCode, ee.Signal)
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrInterrupted) || ee.Unwrap() != nil {
		t.Errorf("a failure on its own must not wrap a stop reason: %v", err)
	}
	if !strings.Contains(err.Error(), "exited with code 3") {
		t.Errorf("error = %q", err)
	}
	if !strings.Contains(res.Tail, "failing on purpose") {
		t.Errorf("tail = %q", res.Tail)
	}
}

func TestRunKilledBySignal(t *testing.T) {
	res, err := run(t, Spec{Argv: []string{"/bin/sh", "-c", "kill -KILL $$"}, Env: shEnv})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	if res.ExitCode != -1 || res.Signal != "SIGKILL" || ee.Signal != "SIGKILL" {
		t.Errorf("exit %d signal %q, want -1 SIGKILL", res.ExitCode, res.Signal)
	}
	if !strings.Contains(err.Error(), "killed by SIGKILL") {
		t.Errorf("error = %q", err)
	}
}

func TestRunTimeoutTerminates(t *testing.T) {
	spec := helperSpec("hang")
	spec.Timeout = 300 * time.Millisecond
	res, err := run(t, spec)
	if !errors.Is(err, ErrTimeout) || errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Signal != "SIGTERM" {
		t.Errorf("err = %#v, want an *ExitError for SIGTERM", err)
	}
	if !res.TimedOut || res.Interrupted || res.Signal != "SIGTERM" || res.ExitCode != -1 {
		t.Errorf("result = %+v", res)
	}
	if res.Duration > generous {
		t.Errorf("took %s", res.Duration)
	}
}

// TestRunTimeoutKillsGroup: the script and its grandchild ignore SIGTERM, so
// both must die by the group's SIGKILL after the grace period.
func TestRunTimeoutKillsGroup(t *testing.T) {
	res, err := run(t, Spec{
		Argv:    []string{"/bin/sh", "-c", `trap "" TERM; sleep 1000 & echo $!; wait`},
		Env:     shEnv,
		Timeout: 300 * time.Millisecond,
		Grace:   300 * time.Millisecond,
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if res.Signal != "SIGKILL" {
		t.Errorf("signal = %q, want SIGKILL after the grace", res.Signal)
	}
	waitDead(t, firstInt(t, res.Tail))
	if res.Duration > generous {
		t.Errorf("took %s", res.Duration)
	}
}

func TestRunGrandchildDiesWithGroup(t *testing.T) {
	spec := Spec{
		Argv:    []string{"/bin/sh", "-c", "sleep 1000 & echo $!; wait"},
		Env:     shEnv,
		Timeout: 300 * time.Millisecond,
		Grace:   5 * time.Second,
	}
	res, err := run(t, spec)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	waitDead(t, firstInt(t, res.Tail))
}

// TestRunLeftoversKilled: a script that exits but leaves a background
// process holding its output must not hold up the run or outlive it.
func TestRunLeftoversKilled(t *testing.T) {
	res, err := run(t, Spec{
		Argv: []string{"/bin/sh", "-c", "sleep 1000 & echo $!; exit 0"},
		Env:  shEnv,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	waitDead(t, firstInt(t, res.Tail))
	if res.Duration > generous {
		t.Errorf("took %s", res.Duration)
	}
}

func TestRunDoneMarker(t *testing.T) {
	marker := regexp.MustCompile(`DONE`)
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"stdout", []string{"marker-hang", "migration DONE"}},
		{"stderr", []string{"marker-stderr", "DONE on stderr"}},
		{"split across writes", []string{"marker-split"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := helperSpec(tc.argv...)
			spec.DoneMarker = marker
			spec.Timeout = time.Minute // the marker, not the timeout, must end it
			start := time.Now()
			res, err := run(t, spec)
			if err != nil {
				t.Fatalf("Run: %v (result %+v)", err, res)
			}
			if !res.FinishedByMarker || !res.MarkerSeen || res.TimedOut || res.Interrupted {
				t.Errorf("result = %+v, want finished by marker", res)
			}
			if d := time.Since(start); d > generous {
				t.Errorf("took %s", d)
			}
			if !strings.HasPrefix(res.String(), "finished by done marker") {
				t.Errorf("String() = %q", res.String())
			}
		})
	}
}

func TestRunMarkerThenExit(t *testing.T) {
	spec := helperSpec("marker-exit", "DONE")
	spec.DoneMarker = regexp.MustCompile(`DONE`)
	spec.MarkerGrace = 10 * time.Second
	res, err := run(t, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.FinishedByMarker || !res.MarkerSeen || res.ExitCode != 0 {
		t.Errorf("result = %+v, want a plain exit with the marker seen", res)
	}
}

func TestRunMarkerNeverPrinted(t *testing.T) {
	spec := helperSpec("hang")
	spec.DoneMarker = regexp.MustCompile(`DONE`)
	spec.Timeout = 300 * time.Millisecond
	res, err := run(t, spec)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if res.MarkerSeen || res.FinishedByMarker || !res.TimedOut {
		t.Errorf("result = %+v", res)
	}
}

func TestRunInterrupted(t *testing.T) {
	live := &syncbuf.Buffer{}
	spec := helperSpec("ignore-term") // needs the SIGKILL after grace, too
	spec.Live = live
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		live.WaitFor(t, "ready")
		cancel() // what Ctrl-C does upstream
	}()
	res, err := Run(ctx, spec)
	if !errors.Is(err, ErrInterrupted) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if !res.Interrupted || res.TimedOut || res.Signal != "SIGKILL" {
		t.Errorf("result = %+v", res)
	}
	if res.Duration > generous {
		t.Errorf("took %s", res.Duration)
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var started atomic.Bool
	spec := helperSpec("echo", "x")
	spec.Command = func(ctx context.Context, name string, args ...string) *exec.Cmd {
		started.Store(true)
		return helperCommand(ctx, name, args...)
	}
	res, err := Run(ctx, spec)
	if !errors.Is(err, ErrInterrupted) || !res.Interrupted || started.Load() {
		t.Errorf("err = %v, result %+v, started %v", err, res, started.Load())
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		t.Errorf("a command that never started is not an *ExitError")
	}
}

func TestRunRedaction(t *testing.T) {
	const secret = "s3cr3t-pa55word"
	live := &syncbuf.Buffer{}
	logPath := filepath.Join(t.TempDir(), "logs", "nested", "attempt.log")
	spec := helperSpec("split", secret) // the secret arrives in two writes
	spec.Live, spec.Prefix, spec.LogFile = live, "> ", logPath
	spec.Redact = []string{"", secret, "pa55"}
	res, err := run(t, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	for what, got := range map[string]string{"live": live.String(), "tail": res.Tail, "log file": string(logData)} {
		if strings.Contains(got, "pa55") || strings.Contains(got, "s3cr3t") {
			t.Errorf("%s leaks the secret: %q", what, got)
		}
		if !strings.Contains(got, "before *** after\n") {
			t.Errorf("%s = %q, want the secret replaced by ***", what, got)
		}
	}
	if res.LogFile != logPath {
		t.Errorf("LogFile = %q", res.LogFile)
	}
}

func TestRunLogFileAppends(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "a.log")
	for _, word := range []string{"one", "two"} {
		spec := helperSpec("echo", word)
		spec.LogFile = logPath
		if _, err := run(t, spec); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	data, _ := os.ReadFile(logPath)
	if string(data) != "one\ntwo\n" {
		t.Errorf("log = %q, want both attempts", data)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode = %v, %v", fi.Mode(), err)
	}
}

func TestRunTailTruncated(t *testing.T) {
	spec := helperSpec("spam", "100000")
	spec.TailBytes = 1000
	res, err := run(t, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Tail != strings.Repeat("x", 1000) {
		t.Errorf("tail has %d bytes, want the last 1000", len(res.Tail))
	}
}

func TestRunDefaultTail(t *testing.T) {
	res, err := run(t, helperSpec("spam", "50000"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Tail) != DefaultTailBytes {
		t.Errorf("tail has %d bytes, want %d", len(res.Tail), DefaultTailBytes)
	}
}

// TestRunHugeOutputBoundedMemory: 100 MB on one line, with a marker to
// match and a prefix to add, must pass through without being held.
func TestRunHugeOutputBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("prints 100 MB")
	}
	const size = 100 << 20
	logPath := filepath.Join(t.TempDir(), "big.log")
	spec := helperSpec("spam", "104857600")
	spec.Live, spec.Prefix = &countWriter{}, "| "
	spec.DoneMarker = regexp.MustCompile(`never printed`)
	spec.Redact = []string{"xy"} // makes the redactor look at every byte
	spec.LogFile = logPath

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	res, err := run(t, spec)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Size() != size {
		t.Errorf("log file: %v, %v; want %d bytes", fi, err, size)
	}
	if n := spec.Live.(*countWriter).n.Load(); n != size+int64(len("| \n")) {
		t.Errorf("live got %d bytes", n)
	}
	if len(res.Tail) != DefaultTailBytes {
		t.Errorf("tail %d bytes", len(res.Tail))
	}
	if p := peak.Load(); p > 48<<20 {
		t.Errorf("heap peaked at %d MiB while 100 MB passed through", p>>20)
	}
}

type countWriter struct{ n atomic.Int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

func TestRunOutputEdgeCases(t *testing.T) {
	t.Run("no trailing newline", func(t *testing.T) {
		live := &syncbuf.Buffer{}
		logPath := filepath.Join(t.TempDir(), "x.log")
		spec := helperSpec("no-newline")
		spec.Live, spec.Prefix, spec.LogFile = live, "| ", logPath
		res, err := run(t, spec)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if want := "| first\n| last line without newline\n"; live.String() != want {
			t.Errorf("live = %q, want %q (ended for the next message)", live.String(), want)
		}
		data, _ := os.ReadFile(logPath)
		if want := "first\nlast line without newline"; string(data) != want || res.Tail != want {
			t.Errorf("log %q / tail %q, want the output unchanged", data, res.Tail)
		}
	})
	t.Run("binary", func(t *testing.T) {
		logPath := filepath.Join(t.TempDir(), "x.log")
		spec := helperSpec("binary")
		spec.Live, spec.LogFile = &syncbuf.Buffer{}, logPath
		res, err := run(t, spec)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		data, _ := os.ReadFile(logPath)
		if len(data) != 260 || data[0] != 0 || data[255] != 255 {
			t.Errorf("log file has %d bytes, want the 260 raw ones", len(data))
		}
		if !utf8.ValidString(res.Tail) {
			t.Errorf("tail is not valid UTF-8")
		}
	})
	t.Run("closes stdout and keeps running", func(t *testing.T) {
		res, err := run(t, helperSpec("close-stdout"))
		var ee *ExitError
		if !errors.As(err, &ee) || res.ExitCode != 7 {
			t.Fatalf("err = %v, exit %d; want exit 7 after the process ran on", err, res.ExitCode)
		}
		if res.Tail != "closing my output\n" {
			t.Errorf("tail = %q", res.Tail)
		}
	})
}
