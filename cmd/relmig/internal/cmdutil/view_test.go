package cmdutil

import (
	"errors"
	"testing"
)

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
