package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTableFit(t *testing.T) {
	long := "preference-centralization/preference-centralization.migration.js"
	notes := "needs REDIS_HOST; needs REDIS_PORT; reaches {env.REDIS_HOST}:{env.REDIS_PORT}"
	tests := []struct {
		name  string
		width int
		want  string
	}{
		{"no limit", 0, "#  RELEASE  MIGRATION" + strings.Repeat(" ", len(long)-9) + "  NOTES\n" +
			"1  v2.0.1   " + long + "  " + notes + "\n"},
		{"notes give way first, then the id, in its middle", 64,
			"#  RELEASE  MIGRATION                   NOTES\n" +
				"1  v2.0.1   preference-c….migration.js  needs REDIS_HOST; needs…\n"},
		{"wide enough", 200, "#  RELEASE  MIGRATION" + strings.Repeat(" ", len(long)-9) + "  NOTES\n" +
			"1  v2.0.1   " + long + "  " + notes + "\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		tb := NewTable(&out, "#", "RELEASE", "MIGRATION", "NOTES")
		tb.Fit(tt.width, Keep, Keep, CutMiddle(24), CutEnd(24))
		tb.Row("1", "v2.0.1", long, notes)
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, out.String(), tt.want)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if n := utf8.RuneCountInString(l); tt.width > 0 && tt.width < 200 && n > tt.width {
				t.Errorf("%s: line of %d columns: %q", tt.name, n, l)
			}
		}
	}
}

func TestTableFitCannotFit(t *testing.T) {
	// Keep columns of 70 and minimums: a quarter more than 80 is allowed,
	// and used before cutting ids shorter.
	var out bytes.Buffer
	tb := NewTable(&out, "A", "ID", "B")
	tb.Fit(80, Keep, CutMiddle(10), Keep)
	tb.Row(strings.Repeat("a", 40), strings.Repeat("i", 60), strings.Repeat("b", 30))
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if n := utf8.RuneCountInString(lines[1]); n != 100 {
		t.Errorf("width %d, want 100: %q", n, lines[1])
	}
}

func TestMiddleTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short.js", 20, "short.js"},
		{"abcdefghij", 5, "ab…ij"},
		{"abcdefghij", 6, "ab…hij"},
		{"abcdefghij", 2, "ab"},
	} {
		if got := MiddleTruncate(tt.in, tt.n); got != tt.want {
			t.Errorf("MiddleTruncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestTerminalWidth(t *testing.T) {
	size := func(n int) func() (int, error) {
		return func() (int, error) {
			if n == 0 {
				return 0, errors.New("not a terminal")
			}
			return n, nil
		}
	}
	for _, tt := range []struct {
		name string
		tty  bool
		size int
		env  map[string]string
		want int
	}{
		{"a pipe: no limit", false, 0, nil, 0},
		{"a pipe ignores COLUMNS", false, 0, map[string]string{"COLUMNS": "80"}, 0},
		{"a terminal's size", true, 132, nil, 132},
		{"COLUMNS first", true, 132, map[string]string{"COLUMNS": "90"}, 90},
		{"a terminal that does not say", true, 0, nil, 80},
		{"forced with a width", false, 0, map[string]string{"RELMIG_FORCE_TTY": "72"}, 72},
		{"forced true", false, 0, map[string]string{"RELMIG_FORCE_TTY": "true"}, 80},
		{"forced false", true, 132, map[string]string{"RELMIG_FORCE_TTY": "false"}, 0},
	} {
		got := TerminalWidth(tt.tty, size(tt.size), func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestShortRunID(t *testing.T) {
	if got := ShortRunID("20261122T040603Z-ebc3d0912ea68fda"); got != "ebc3d091" {
		t.Errorf("got %q", got)
	}
	if got := ShortRunID("dry-run"); got != "dry-run" {
		t.Errorf("got %q", got)
	}
}
