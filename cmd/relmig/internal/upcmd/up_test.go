package upcmd

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/lock"
)

func TestFlagParsing(t *testing.T) {
	tests := []struct {
		args  []string
		check func(o *Options) bool
	}{
		{nil, func(o *Options) bool {
			return !o.Apply && o.To == "" && o.WaitLock == 0 && o.Lease == lock.DefaultLeaseDuration &&
				len(o.Retry) == 0 && !o.Strict && o.CacheDir == "" && o.LogDir == ""
		}},
		{[]string{"--to", "v2.0.1", "--apply", "--wait-lock", "10m", "--lease", "2s", "--strict"}, func(o *Options) bool {
			return o.To == "v2.0.1" && o.Apply && o.WaitLock == 10*time.Minute && o.Lease == 2*time.Second && o.Strict
		}},
		{[]string{"--retry", "a.js", "--retry", "b/c.js", "--cache-dir", "/c", "--log-dir", "/l"}, func(o *Options) bool {
			return slices.Equal(o.Retry, []string{"a.js", "b/c.js"}) && o.CacheDir == "/c" && o.LogDir == "/l"
		}},
		{[]string{"--uri", "mongodb://h/db", "--db", "other", "--server-timeout", "1s"}, func(o *Options) bool {
			return o.DB.URI == "mongodb://h/db" && o.DB.DB == "other" && o.DB.Timeout == time.Second
		}},
	}
	for _, tt := range tests {
		f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
		var got *Options
		cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if got == nil || !tt.check(got) {
			t.Errorf("%q: options = %+v", tt.args, got)
		}
	}

	// Positional arguments and bad durations are usage errors, before
	// anything runs.
	for _, args := range [][]string{{"v2.0.1"}, {"--wait-lock", "soon"}, {"--lease", "x"}} {
		f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
		ran := false
		cmd := NewCmd(f, func(*Options) error { ran = true; return nil })
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); err == nil || ran {
			t.Errorf("%q: err %v, ran %v; want a usage error", args, err, ran)
		}
	}
}
