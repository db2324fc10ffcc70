package baselinecmd

import (
	"bytes"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
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
