package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Defaults that Run applies to zero fields of a Spec.
const (
	DefaultGrace       = 10 * time.Second
	DefaultMarkerGrace = 2 * time.Second
	DefaultTailBytes   = 16 << 10
)

// drainTimeout bounds the wait for the end of the output once the group is
// dead: only a process that left the group (setsid, a daemon) can still hold
// the pipe, and it must not hold up the run.
const drainTimeout = 2 * time.Second

// Causes Run gives the command's context when it stops the command itself;
// anything else that ends the context is the caller's interruption.
var (
	errTimeoutCause = errors.New("timeout reached")
	errMarkerCause  = errors.New("done marker printed and grace elapsed")
)

// CommandFunc builds the command to run; exec.CommandContext is the default.
// Tests substitute one that re-runs the test binary as a fake script. The
// command must be built with the given context (as exec.CommandContext
// does): Run cancels that context to stop the command. Run sets Dir, Env,
// Stdin, Stdout, Stderr, SysProcAttr.Setpgid, Cancel and WaitDelay itself.
type CommandFunc func(ctx context.Context, name string, args ...string) *exec.Cmd

// Spec describes one command to run. Only Argv is required.
type Spec struct {
	// Argv is the program and its arguments, usually from [Template.Expand].
	// A program name without a slash is looked up in Env's PATH when Env
	// sets one.
	Argv []string
	// Dir is the working directory; empty means relmig's own.
	Dir string
	// Env is the command's whole environment: the caller composes the parent
	// environment, the runner's env and the RELMIG_* variables. Nil means an
	// empty environment, never relmig's own.
	Env []string
	// Timeout stops the command after this long; zero means no limit.
	Timeout time.Duration
	// Grace is how long a stopped command has between SIGTERM to its process
	// group and SIGKILL; zero means DefaultGrace.
	Grace time.Duration
	// DoneMarker, when set, is matched against each output line (stdout and
	// stderr alike, on redacted text, the first 64 KiB of a line). Once a
	// line matches and the command has not exited within MarkerGrace, it is
	// stopped and counts as finished successfully: scripts that leave
	// database connections open never exit by themselves.
	DoneMarker *regexp.Regexp
	// MarkerGrace is how long a command may take to exit after printing its
	// marker; zero means DefaultMarkerGrace.
	MarkerGrace time.Duration
	// Live receives the output as it arrives, each line starting with
	// Prefix; nil discards it. Only one goroutine writes to it at a time.
	Live   io.Writer
	Prefix string
	// LogFile, when set, receives the whole combined output. The file and
	// its parent directories are created when missing; an existing file is
	// appended to, never truncated, so an earlier attempt's log survives a
	// reused name. It is private to the user (0600): scripts print data.
	LogFile string
	// TailBytes is how much of the end of the output Result.Tail keeps; zero
	// means DefaultTailBytes.
	TailBytes int
	// Redact lists secrets, such as the password and user info of the
	// MongoDB URI, replaced by "***" in the live output, the log file and
	// the tail, even when a secret is split across writes.
	Redact []string
	// Command builds the command; nil means exec.CommandContext.
	Command CommandFunc
	// Guard, when set, is told the command's process group while it runs,
	// so that the group is stopped even if relmig is killed.
	Guard *Guard
	// OnProgress, when set, is called with each progress line the command
	// prints (see ProgressPrefix). Progress lines are written to the log
	// file but kept out of the live output and the tail; Result.Progress
	// keeps the last one.
	OnProgress func(Progress)
	// OnSilent, when set, is called once the command has printed nothing
	// for HeartbeatAfter (no heartbeat when that is zero), then every
	// HeartbeatEvery (zero: HeartbeatAfter) while it stays silent. Any
	// output, a progress line included, ends a silence. OnProgress and
	// OnSilent are never called at the same time, and never after Run
	// returns.
	OnSilent                       func(Silence)
	HeartbeatAfter, HeartbeatEvery time.Duration
}

// Result is what happened to a command. Run returns it complete, also along
// with an error.
type Result struct {
	ExitCode int           // the exit status; -1 when a signal ended the command or it never started
	Signal   string        // the name of the signal that ended the command, such as SIGTERM
	Duration time.Duration // from start until the command was reaped
	// TimedOut, Interrupted and FinishedByMarker say that Run stopped the
	// command, and why; at most one is set.
	TimedOut         bool
	Interrupted      bool
	FinishedByMarker bool
	MarkerSeen       bool   // the done marker was printed (whether or not Run had to stop the command)
	Tail             string // the last TailBytes of the redacted output, as valid UTF-8
	LogFile          string // the log file written, if any
	// Progress is the last progress line the command printed, nil when it
	// printed none.
	Progress *Progress
	// OutputErr reports a failure to write the log file or the live output,
	// or to read the output. The command's own outcome is unaffected, so it
	// is kept apart from the error Run returns.
	OutputErr error
}

// String describes the outcome in one line, such as "exit 0 after 1.2s".
func (r Result) String() string {
	d := r.Duration.Round(time.Millisecond)
	how := fmt.Sprintf("exit %d", r.ExitCode)
	if r.Signal != "" {
		how = r.Signal
	}
	switch {
	case r.FinishedByMarker:
		return fmt.Sprintf("finished by done marker after %s (%s)", d, how)
	case r.TimedOut:
		return fmt.Sprintf("timed out after %s (%s)", d, how)
	case r.Interrupted:
		return fmt.Sprintf("interrupted after %s (%s)", d, how)
	}
	return fmt.Sprintf("%s after %s", how, d)
}

// Run runs one command to its end and reports what happened. The command
// runs in its own process group with stdin from /dev/null and stdout and
// stderr combined into one stream, in the order the command wrote them.
//
// When the timeout passes, the done marker's grace elapses or ctx is
// cancelled, Run sends SIGTERM to the whole group, then SIGKILL after
// Spec.Grace. When the command itself exits, whatever it left running in its
// group is killed. Run returns only once the command has been reaped.
//
// The error is nil for success (exit 0, or stopped after its done marker),
// an *ExitError for a command that ran and failed (wrapping ErrTimeout or
// ErrInterrupted when Run stopped it), or another error when the command
// could not be started; when ctx is done before the start it wraps
// ErrInterrupted.
func Run(ctx context.Context, spec Spec) (Result, error) {
	res := Result{ExitCode: -1}
	if err := spec.normalize(); err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	if ctx.Err() != nil {
		res.Interrupted = true
		return res, fmt.Errorf("%s not started: %w", spec.Argv[0], ErrInterrupted)
	}
	name, err := lookPath(spec.Argv[0], spec.Env)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	var logf *os.File
	if spec.LogFile != "" {
		if logf, err = openLog(spec.LogFile); err != nil {
			return res, fmt.Errorf("%w: %w", ErrNotStarted, err)
		}
		defer logf.Close() // for the early returns; closed and checked below
		res.LogFile = spec.LogFile
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("create output pipe: %w", err)
	}
	defer pr.Close()

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := spec.Command(runCtx, name, spec.Argv[1:]...)
	if cmd == nil {
		pw.Close()
		return res, errors.New("command constructor returned nil")
	}
	g := &group{grace: spec.Grace}
	prepare(cmd, spec, pw, g)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		pw.Close()
		if ctx.Err() != nil {
			// Start refuses a command whose context ended meanwhile.
			res.Interrupted = true
			return res, fmt.Errorf("%s not started: %w", spec.Argv[0], ErrInterrupted)
		}
		return res, fmt.Errorf("%w: start %s: %w", ErrNotStarted, spec.Argv[0], err)
	}
	pid := cmd.Process.Pid
	if spec.Guard != nil {
		// A guard that is gone cannot stop the group if relmig dies; the
		// script runs anyway, and the loss is reported with the output.
		if err := spec.Guard.watch(pid); err != nil {
			res.OutputErr = err
		}
		defer func() { _ = spec.Guard.unwatch(pid) }()
	}
	// The child holds its own copy of the write end; ours must go, or the
	// reader would never see the end of the output.
	pw.Close()

	marked := make(chan struct{}, 1)
	act := newActivity(start, spec)
	sk := &sink{
		act:      act,
		progress: progressFilter{found: act.progress},
		red:      newRedactor(spec.Redact),
		log:      logf,
		tail:     tailBuffer{n: spec.TailBytes},
		live:     linePrefixer{w: spec.Live, prefix: []byte(spec.Prefix)},
		marker:   markerMatcher{re: spec.DoneMarker},
		onMark: func() {
			select {
			case marked <- struct{}{}:
			default:
			}
		},
	}
	readDone := make(chan error, 1)
	go func() { readDone <- sk.copyFrom(pr) }()
	waitDone := make(chan error, 1)
	go func() { waitDone <- cmd.Wait() }()

	stopHeartbeat := act.heartbeat(spec.HeartbeatAfter, spec.HeartbeatEvery)
	waitErr := supervise(spec, cancel, marked, waitDone)
	res.Duration = time.Since(start)
	stopHeartbeat()
	stopped := g.reaped(pid)

	// Everything the group wrote is in the pipe now; read it to the end.
	if err := pr.SetReadDeadline(time.Now().Add(drainTimeout)); err != nil {
		pr.Close()
	}
	readErr := <-readDone
	sk.finish()
	res.MarkerSeen = sk.marker.seen
	res.Progress = act.last
	res.Tail = sk.tail.String()
	var closeErr error
	if logf != nil {
		if err := logf.Close(); err != nil {
			closeErr = fmt.Errorf("close log file: %w", err)
		}
	}
	res.OutputErr = errors.Join(res.OutputErr, outputErr(sk, readErr), closeErr)

	st := cmd.ProcessState
	if st == nil {
		return res, fmt.Errorf("wait for %s: %w", spec.Argv[0], waitErr)
	}
	res.ExitCode = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = signalName(ws.Signal())
	}

	return outcome(res, stopped, context.Cause(runCtx))
}

// outcome decides success from the exit status and, when Run stopped the
// command (stopped), from the cause it gave the command's context.
func outcome(res Result, stopped bool, cause error) (Result, error) {
	var why error
	if stopped {
		switch {
		case errors.Is(cause, errMarkerCause):
			res.FinishedByMarker = true
		case errors.Is(cause, errTimeoutCause):
			res.TimedOut, why = true, ErrTimeout
		default:
			res.Interrupted, why = true, ErrInterrupted
		}
	}
	// After its marker a script is stopped however it then dies: that is
	// the success the marker announced.
	if res.FinishedByMarker || (why == nil && res.ExitCode == 0) {
		return res, nil
	}
	return res, &ExitError{ExitCode: res.ExitCode, Signal: res.Signal, Duration: res.Duration, Err: why}
}

// supervise waits for the command to exit, stopping it (through cancel,
// which makes exec call the group's terminate) when the timeout passes or the
// done marker's grace elapses. It returns Wait's error.
func supervise(spec Spec, cancel context.CancelCauseFunc, marked <-chan struct{}, waitDone <-chan error) error {
	var timeoutC, markerC <-chan time.Time
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	for {
		select {
		case err := <-waitDone:
			return err
		case <-timeoutC:
			timeoutC = nil
			cancel(errTimeoutCause)
		case <-marked:
			// The sink reports the marker once, so there is one such timer.
			t := time.NewTimer(spec.MarkerGrace)
			defer t.Stop()
			markerC = t.C
		case <-markerC:
			markerC = nil
			cancel(errMarkerCause)
		}
	}
}

// prepare wires the command to the output pipe and to its process group.
func prepare(cmd *exec.Cmd, spec Spec, out *os.File, g *group) {
	cmd.Dir = spec.Dir
	// A nil Env would make exec pass relmig's own environment.
	cmd.Env = append([]string{}, spec.Env...)
	cmd.Stdin = nil // /dev/null: a script waiting for input must not hang the run
	// One pipe for both streams keeps their order as the script wrote them,
	// and exec passes an *os.File straight to the child, so Wait does not
	// wait on copying goroutines that a lingering grandchild could block.
	cmd.Stdout = out
	cmd.Stderr = out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	// exec calls Cancel only after Start has set cmd.Process.
	cmd.Cancel = func() error { return g.terminate(cmd.Process.Pid) }
	// exec kills the leader itself if it is still running this long after
	// the context ended; the group's own SIGKILL normally comes first.
	cmd.WaitDelay = spec.Grace + time.Second
}

// Preflight checks, without running anything, what Run would otherwise
// find out only when starting the command: the spec is complete, the
// program is found, and the log file can be written (it is created, with
// its folders). A caller that records attempts calls it first, so that a
// command that could not start is never recorded as a failed run.
// Errors: wrapping ErrNotStarted.
func Preflight(spec Spec) error {
	if err := spec.normalize(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	if _, err := lookPath(spec.Argv[0], spec.Env); err != nil {
		return fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	if spec.LogFile != "" {
		f, err := openLog(spec.LogFile)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotStarted, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("%w: close log file: %w", ErrNotStarted, err)
		}
	}
	return nil
}

func (s *Spec) normalize() error {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return errors.New("empty command")
	}
	if s.Timeout < 0 || s.Grace < 0 || s.MarkerGrace < 0 || s.HeartbeatAfter < 0 || s.HeartbeatEvery < 0 {
		return fmt.Errorf("negative duration (timeout %s, grace %s, marker grace %s, heartbeat %s/%s)", s.Timeout, s.Grace, s.MarkerGrace, s.HeartbeatAfter, s.HeartbeatEvery)
	}
	if s.TailBytes < 0 {
		return fmt.Errorf("negative tail size %d", s.TailBytes)
	}
	if s.Grace == 0 {
		s.Grace = DefaultGrace
	}
	if s.MarkerGrace == 0 {
		s.MarkerGrace = DefaultMarkerGrace
	}
	if s.TailBytes == 0 {
		s.TailBytes = DefaultTailBytes
	}
	if s.Command == nil {
		s.Command = exec.CommandContext
	}
	return nil
}

func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}

func outputErr(sk *sink, readErr error) error {
	var errs []error
	// A deadline means a process outside the group still holds the pipe
	// after everything in the group died; its output is not the attempt's.
	if readErr != nil && !errors.Is(readErr, os.ErrDeadlineExceeded) && !errors.Is(readErr, os.ErrClosed) {
		errs = append(errs, fmt.Errorf("read output: %w", readErr))
	}
	if sk.logErr != nil {
		errs = append(errs, sk.logErr)
	}
	if sk.live.err != nil {
		errs = append(errs, sk.live.err)
	}
	return errors.Join(errs...)
}
