package betweencmd

import (
	"bytes"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
)

func TestFlagParsing(t *testing.T) {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmd(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"v0.18.0", "unreleased"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.From != "v0.18.0" || got.To != "unreleased" {
		t.Fatalf("options = %+v", got)
	}
}
