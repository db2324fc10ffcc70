package markcmd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
)

func TestFlagParsing(t *testing.T) {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"users/a.js", "--as", "skipped", "--reason", "not needed"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.ID != "users/a.js" || got.As != "skipped" || got.Reason != "not needed" {
		t.Fatalf("options = %+v", got)
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		as, reason string
		status     history.Status
		recorded   string
		code       cmdutil.ExitCode // 0: no error
	}{
		{"applied", "ran by hand", history.Baselined, "marked applied: ran by hand", 0},
		{"skipped", " not needed ", history.Skipped, "not needed", 0},
		{"failed", "broke", history.Failed, "broke", 0},
		{"applied", "", "", "", cmdutil.ExitUsage},
		{"failed", "  ", "", "", cmdutil.ExitUsage},
		{"", "why", "", "", cmdutil.ExitUsage},
		{"succeeded", "why", "", "", cmdutil.ExitUsage},
	}
	for _, tt := range tests {
		o := Options{ID: "a.js", As: tt.as, Reason: tt.reason}
		st, reason, err := o.Decide()
		if tt.code != 0 {
			code, ok := cmdutil.CodeOf(err)
			if !ok && errors.Is(err, cmdutil.ErrUsage) {
				code = cmdutil.ExitUsage
			}
			if err == nil || code != tt.code {
				t.Errorf("--as %q --reason %q: err %v, want exit %d", tt.as, tt.reason, err, tt.code)
			}
			continue
		}
		if err != nil || st != tt.status || reason != tt.recorded {
			t.Errorf("--as %q --reason %q: %s %q %v, want %s %q", tt.as, tt.reason, st, reason, err, tt.status, tt.recorded)
		}
	}
}
