package table

import (
	"bytes"
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
		tb := New(&out, "#", "RELEASE", "MIGRATION", "NOTES")
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
	tb := New(&out, "A", "ID", "B")
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
