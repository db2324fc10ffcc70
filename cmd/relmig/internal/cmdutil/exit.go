package cmdutil

import (
	"errors"
	"fmt"
)

// ExitCode is relmig's process exit status; the values are part of the
// interface and documented in the README.
type ExitCode int

// The exit codes.
const (
	ExitOK       ExitCode = 0 // done, or nothing to do
	ExitError    ExitCode = 1 // unexpected error
	ExitUsage    ExitCode = 2 // bad usage, bad input or invalid map
	ExitRefused  ExitCode = 3 // plan refused
	ExitLocked   ExitCode = 4 // lock held by another run
	ExitFailed   ExitCode = 5 // a migration failed
	ExitCanceled ExitCode = 130

	// The codes of `status --short`, the schema-version tile, besides 0 (up
	// to date), 1 and 2; they do not reuse 3 (plan refused: nothing ran).
	ExitBehind      ExitCode = 10 // migrations to run; up would run them
	ExitTileRefused ExitCode = 11 // up would refuse the plan
)

// ErrUsage is wrapped by errors that mean the command was called wrongly.
var ErrUsage = errors.New("usage")

// UsageError is a mistake in flags or arguments; the command's usage is
// printed after it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUsage) true.
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// BadInput wraps err so that it exits with ExitUsage without printing usage:
// the input (a version, a file, a flag value) was wrong, not the syntax.
func BadInput(err error) error { return &codedError{err: err, code: ExitUsage} }

// WithCode wraps err so that it exits with code.
func WithCode(err error, code ExitCode) error { return &codedError{err: err, code: code} }

type codedError struct {
	err  error
	code ExitCode
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// CodeOf returns the exit code err asked for with BadInput or WithCode.
func CodeOf(err error) (ExitCode, bool) {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}

// SilentError is returned when the command already printed why it failed
// (such as `map check` listing problems); only the exit code remains.
type SilentError struct {
	Code ExitCode
	Err  error
}

func (e *SilentError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SilentError) Unwrap() error { return e.Err }
