// Package cmdutil holds what every relmig command shares: the streams it
// writes to, the factory of its dependencies, the output format, and the
// typed exit codes.
package cmdutil

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams. stdout carries data (tables,
// JSON); stderr carries everything else (progress, warnings, errors).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// ErrTTY says whether ErrOut is a terminal: live progress is drawn only
	// then.
	ErrTTY bool
}

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
