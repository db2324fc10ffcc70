// Package cmdutil holds what every relmig command shares: the streams it
// writes to, the factory of its dependencies, the output format, and the
// typed exit codes.
package cmdutil

import (
	"io"
	"os"
	"strconv"

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
	// ErrWidth is the width of the terminal that ErrOut is (0: unknown or
	// not a terminal); live progress lines stay shorter.
	ErrWidth int
	// Width is the width of the terminal that Out is, in columns; 0 when
	// Out is not a terminal, so tables are written in full for programs.
	Width int
}

// defaultWidth is the width assumed for a terminal that does not say.
const defaultWidth = 80

// System returns the process's own streams. Tables fit the terminal when
// stdout is one: its width, else $COLUMNS, else 80. RELMIG_FORCE_TTY=N
// treats stdout as a terminal N columns wide (true: 80), like gh's
// GH_FORCE_TTY, for scripts and tests that capture a terminal's output.
func System() *IOStreams {
	s := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if s.ErrTTY {
		if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil {
			s.ErrWidth = w
		}
	}
	s.Width = TerminalWidth(term.IsTerminal(int(os.Stdout.Fd())), func() (int, error) {
		w, _, err := term.GetSize(int(os.Stdout.Fd()))
		return w, err
	}, os.Getenv)
	return s
}

// TerminalWidth decides how wide tables on stdout may be: 0 (no limit)
// when stdout is not a terminal, else the terminal's size, $COLUMNS or 80;
// RELMIG_FORCE_TTY (a width, or true) overrides.
func TerminalWidth(tty bool, size func() (int, error), getenv func(string) string) int {
	if f := getenv("RELMIG_FORCE_TTY"); f != "" {
		if n, err := strconv.Atoi(f); err == nil && n > 0 {
			return n
		}
		if b, err := strconv.ParseBool(f); err == nil {
			if !b {
				return 0
			}
			tty = true
		}
	}
	if !tty {
		return 0
	}
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if n, err := size(); err == nil && n > 0 {
		return n
	}
	return defaultWidth
}
