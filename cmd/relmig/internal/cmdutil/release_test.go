package cmdutil

import (
	"strings"
	"testing"

	"github.com/relmig/relmig/releasemap"
)

func TestReleaseArg(t *testing.T) {
	m, err := releasemap.Parse([]byte(`relmig: 1
dir: m
tags: { prefix: "api@" }
releases:
  - version: api@1.0.0
    migrations: [ { id: a.js } ]
  - version: api@1.2.0
  - version: api@1.2.1
  - version: api@2.0.0
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
		{in: "api@1.1.0", wantErr: "--to api@1.1.0: not a release of the map (nearest: api@1.0.0, api@1.2.0)"},
		{in: "0.1.0", wantErr: "--to 0.1.0: not a release of the map (nearest: api@1.0.0)"},
		{in: "api@3.0.0", wantErr: "--to api@3.0.0: not a release of the map (nearest: api@2.0.0)"},
		{in: "api@1.2.10", wantErr: "--to api@1.2.10: not a release of the map (nearest: api@1.2.1, api@2.0.0; did you mean api@1.2.0?)"},
		{in: "api@1", wantErr: `--to: "api@1": not a semver version`},
	}
	for _, tt := range tests {
		v, err := ReleaseArg(seq, "--to", tt.in)
		if tt.wantErr != "" {
			code, _ := CodeOf(err)
			if err == nil || code != ExitUsage || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v (code %d), want exit 2 %q", tt.in, err, code, tt.wantErr)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("%s: %v %v, want %s", tt.in, v, err, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"v0.24.1", "v0.24.10", 1}, {"v1.0.0", "v1.0.5", 1}, {"abc", "", 3}, {"v2.0.1", "v1.0.2", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
