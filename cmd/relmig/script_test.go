package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/relmig/relmig/cmd/relmig/internal/root"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"relmig": func() {
			os.Exit(int(root.System(context.Background(), "v0.0.0-test")))
		},
		// exits CODE ARGS... runs relmig with ARGS and succeeds only when it
		// exits with CODE, so scripts pin the documented exit codes.
		"exits": func() {
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "usage: exits CODE ARGS...")
				os.Exit(99)
			}
			os.Args = append([]string{"relmig"}, os.Args[2:]...)
			if got := int(root.System(context.Background(), "v0.0.0-test")); got != want {
				fmt.Fprintf(os.Stderr, "exit code %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// update rewrites the golden files of cmp commands in the scripts:
// go test ./cmd/relmig -run TestScripts -update
var update = flag.Bool("update", false, "update testscript golden files")

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("MONGODB_URI", os.Getenv("MONGODB_URI"))
			return nil
		},
		UpdateScripts: *update,
	})
}
