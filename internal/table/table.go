// Package table writes the aligned text tables of relmig's commands and of
// the library's reports: a header row, columns two blanks apart, trailing
// blanks trimmed, and, with Fit, shortened to fit a terminal's width.
package table

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table writes aligned columns; the first row is the header. Trailing
// blanks are trimmed so output diffs cleanly. With Fit, it fits a width by
// shortening the columns that allow it.
type Table struct {
	out   io.Writer
	rows  [][]string
	width int
	modes []Shrink
}

// Shrink says how a column may be shortened to fit a width, and to how
// few runes (never below its header's width).
type Shrink struct {
	how shrinkHow
	min int
}

type shrinkHow int

const (
	keep shrinkHow = iota
	cutEnd
	cutMiddle
)

// Keep never shortens the column (versions, states, times).
var Keep = Shrink{}

// CutEnd cuts the end off cells, with an ellipsis, down to min runes
// (notes, reasons); these columns give way first.
func CutEnd(min int) Shrink { return Shrink{how: cutEnd, min: min} }

// CutMiddle cuts out the middle of cells, with an ellipsis, keeping both
// ends of an id (its folder and its file name), down to min runes.
func CutMiddle(min int) Shrink { return Shrink{how: cutMiddle, min: min} }

// columnGap is the blank space between two columns.
const columnGap = 2

// New starts a table on w.
func New(w io.Writer, header ...string) *Table {
	t := &Table{out: w}
	if len(header) > 0 {
		t.Row(header...)
	}
	return t
}

// Fit makes Flush fit the table into width columns (0: no limit) by
// shortening columns, modes[i] saying how column i may be shortened:
// CutEnd columns first, down to their minimum, then CutMiddle ones. A
// table that cannot fit width even so gets a quarter more (100 columns on
// an 80-column terminal); one whose Keep columns alone are wider stays
// wider.
func (t *Table) Fit(width int, modes ...Shrink) {
	t.width, t.modes = width, modes
}

// Row adds one row.
func (t *Table) Row(cells ...string) {
	t.rows = append(t.rows, cells)
}

// Flush writes the table out.
func (t *Table) Flush() error {
	var n int
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	if t.width > 0 {
		t.shrink(widths)
	}
	var b strings.Builder
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r {
			c = shorten(c, widths[i], t.mode(i))
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+columnGap))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	t.rows = nil
	_, err := io.WriteString(t.out, b.String())
	return err
}

func (t *Table) mode(i int) Shrink {
	if i < len(t.modes) {
		return t.modes[i]
	}
	return Keep
}

// shrink narrows widths until the table fits t.width, or a quarter more
// when it cannot: end-cut columns first, then middle-cut ones, each down to
// its minimum (or its header's width, if that is more).
func (t *Table) shrink(widths []int) {
	total := columnGap * (len(widths) - 1)
	least := total
	lows := make([]int, len(widths))
	for i, w := range widths {
		total += w
		lows[i] = w
		if m := t.mode(i); m.how != keep {
			lows[i] = min(w, max(m.min, t.headerWidth(i)))
		}
		least += lows[i]
	}
	target := t.width
	if least > target {
		target = t.width + t.width/4
	}
	for _, how := range []shrinkHow{cutEnd, cutMiddle} {
		for i := len(widths) - 1; i >= 0 && total > target; i-- {
			if t.mode(i).how != how || widths[i] <= lows[i] {
				continue
			}
			cut := min(widths[i]-lows[i], total-target)
			widths[i] -= cut
			total -= cut
		}
	}
}

func (t *Table) headerWidth(i int) int {
	if len(t.rows) > 0 && i < len(t.rows[0]) {
		return utf8.RuneCountInString(t.rows[0][i])
	}
	return 0
}

// shorten fits s into n runes the way mode says.
func shorten(s string, n int, mode Shrink) string {
	if mode.how == keep || utf8.RuneCountInString(s) <= n {
		return s
	}
	if mode.how == cutEnd {
		return Truncate(s, n)
	}
	return MiddleTruncate(s, n)
}

// MiddleTruncate returns s cut to n runes by replacing its middle with an
// ellipsis, keeping slightly more of the end (the file name of an id).
func MiddleTruncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 3 {
		return string(r[:n])
	}
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// Plural returns "1 migration" or "n migrations".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Truncate returns s on one line, cut to n runes with an ellipsis.
func Truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
