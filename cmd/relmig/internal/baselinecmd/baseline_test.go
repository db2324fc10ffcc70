package baselinecmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

func TestFlagParsing(t *testing.T) {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"v1.2.0", "--reason", "by hand", "--db", "app"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Version != "v1.2.0" || got.Reason != "by hand" || got.DB.DB != "app" {
		t.Fatalf("options = %+v", got)
	}
}

func TestRelease(t *testing.T) {
	m, err := releasemap.Parse([]byte(`relmig: 1
dir: m
tags: { prefix: "api@" }
releases:
  - version: api@1.0.0
    migrations: [ { id: a.js } ]
  - version: api@1.2.0
`), "releasemap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seq, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want, wantErr string }{
		{in: "api@1.0.0", want: "api@1.0.0"},
		{in: "1.2.0", want: "api@1.2.0"}, // the map's spelling
		{in: "unreleased", want: "unreleased"},
		{in: "api@1.1.0", wantErr: "VERSION api@1.1.0: not a release of the map (nearest: api@1.0.0, api@1.2.0)"},
		{in: "0.1.0", wantErr: "VERSION 0.1.0: not a release of the map (nearest: api@1.0.0)"},
		{in: "api@1", wantErr: `VERSION: "api@1": not a semver version`},
	}
	for _, tt := range tests {
		v, err := Release(seq, tt.in)
		if tt.wantErr != "" {
			code, _ := cmdutil.CodeOf(err)
			if err == nil || code != cmdutil.ExitUsage || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v (code %d), want exit 2 %q", tt.in, err, code, tt.wantErr)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("%s: %v %v, want %s", tt.in, v, err, tt.want)
		}
	}
}
