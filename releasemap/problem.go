package releasemap

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error that means the map itself is wrong, so
// the command line can map it to exit code 2.
var ErrInvalid = errors.New("invalid release map")

// Problem is one thing wrong with a map, located in its file.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

// String renders the problem as "file:line: message", the form editors
// and CI annotations understand.
func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	case p.File != "":
		return p.File + ": " + p.Msg
	}
	return p.Msg
}

// ProblemsError carries every problem found at once, sorted by line.
type ProblemsError struct {
	Problems []Problem
}

// Error lists the problems one per line.
func (e *ProblemsError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ProblemsError) Unwrap() error { return ErrInvalid }

// problems collects problems for one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) add(line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil or a *ProblemsError with the problems sorted by line
// (stable, so problems on one line keep the order they were found in).
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sorted := append([]Problem(nil), ps.list...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	return &ProblemsError{Problems: sorted}
}
