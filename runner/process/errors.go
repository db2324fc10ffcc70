package process

import (
	"errors"
	"fmt"
	"time"
)

// ErrTimeout is wrapped by the error of a command that ran past
// [Spec.Timeout] and was stopped; test for it with errors.Is.
var ErrTimeout = errors.New("timed out")

// ErrInterrupted is wrapped by the error of a command stopped (or never
// started) because the caller's context was cancelled, such as on Ctrl-C;
// test for it with errors.Is.
var ErrInterrupted = errors.New("interrupted")

// ErrNotStarted is wrapped by the error of a command that never started:
// it is incomplete, its program is not found, its log file cannot be
// written, or the system refused to start it. Nothing ran.
var ErrNotStarted = errors.New("not started")

// ExitError reports a command that started but did not finish successfully:
// it exited non-zero, died of a signal, timed out or was interrupted. It
// carries the facts a history record needs; the full picture, including the
// output tail, is in the [Result] returned alongside it.
type ExitError struct {
	ExitCode int           // the exit status, or -1 when a signal ended the process
	Signal   string        // the signal's name, such as SIGKILL, when one ended it
	Duration time.Duration // how long the command ran
	// Err is ErrTimeout or ErrInterrupted when relmig stopped the command,
	// and nil when the command failed on its own.
	Err error
}

// Error describes how the command ended, in one line.
func (e *ExitError) Error() string {
	how := fmt.Sprintf("exited with code %d", e.ExitCode)
	if e.Signal != "" {
		how = "killed by " + e.Signal
	}
	d := e.Duration.Round(time.Millisecond)
	switch {
	case errors.Is(e.Err, ErrTimeout):
		return fmt.Sprintf("timed out after %s (%s)", d, how)
	case errors.Is(e.Err, ErrInterrupted):
		return fmt.Sprintf("interrupted after %s (%s)", d, how)
	}
	return fmt.Sprintf("%s after %s", how, d)
}

// Unwrap returns ErrTimeout, ErrInterrupted or nil, so errors.Is can branch
// on why the command stopped.
func (e *ExitError) Unwrap() error { return e.Err }
