package historycmd

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
)

func newFactory() *cmdutil.Factory {
	return &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
}

func TestFlagParsing(t *testing.T) {
	var got *Options
	cmd := NewCmd(newFactory(), func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--migration", "a.js", "--status", "failed", "--release", "v1.0.0", "--run", "r1", "--since", "24h", "--limit", "5", "--events"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Migration != "a.js" || got.Status != "failed" || got.Release != "v1.0.0" || got.RunID != "r1" ||
		got.Since != "24h" || got.Limit != 5 || !got.Events {
		t.Fatalf("options = %+v", got)
	}
}

func TestFilter(t *testing.T) {
	now := time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tests := []struct {
		opts    Options
		want    history.Filter
		wantErr string
	}{
		{opts: Options{}, want: history.Filter{}},
		{opts: Options{Migration: "a.js", Status: "baselined", Release: "v1", RunID: "r", Limit: 3},
			want: history.Filter{Migration: "a.js", Status: history.Baselined, Release: "v1", RunID: "r", Limit: 3}},
		{opts: Options{Since: "90m"}, want: history.Filter{Since: now.Add(-90 * time.Minute)}},
		{opts: Options{Since: "7d"}, want: history.Filter{Since: now.Add(-7 * 24 * time.Hour)}},
		{opts: Options{Since: "2024-05-01"}, want: history.Filter{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}},
		{opts: Options{Since: "2024-05-01T02:00:00+02:00"}, want: history.Filter{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}},
		{opts: Options{Status: "ok"}, wantErr: `--status "ok": want one of running, succeeded, failed, interrupted, baselined, skipped`},
		{opts: Options{Since: "last week"}, wantErr: `--since "last week": want an RFC 3339 time`},
		{opts: Options{Since: "-1h"}, wantErr: `--since "-1h": a duration counts back from now and must not be negative`},
		{opts: Options{Since: "xd"}, wantErr: `--since "xd": want`},
		{opts: Options{Limit: -2}, wantErr: "--limit -2: want 0 (all) or more"},
	}
	for _, tt := range tests {
		tt.opts.Now = clock
		got, err := tt.opts.Filter()
		if tt.wantErr != "" {
			code, _ := cmdutil.CodeOf(err)
			if err == nil || code != cmdutil.ExitUsage || !bytes.HasPrefix([]byte(err.Error()), []byte(tt.wantErr)) {
				t.Errorf("%+v: err %v (code %d), want exit 2 %q", tt.opts, err, code, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.opts, err)
			continue
		}
		if !got.Since.Equal(tt.want.Since) {
			t.Errorf("%+v: since %s, want %s", tt.opts, got.Since, tt.want.Since)
		}
		got.Since, tt.want.Since = time.Time{}, time.Time{}
		if got != tt.want {
			t.Errorf("%+v: filter %+v, want %+v", tt.opts, got, tt.want)
		}
	}
}

func TestNoArgs(t *testing.T) {
	cmd := NewCmd(newFactory(), func(*Options) error { return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); !errors.Is(err, cmdutil.ErrUsage) {
		t.Fatalf("extra argument: %v, want a usage error", err)
	}
}
