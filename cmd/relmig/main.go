// Command relmig runs an application's loose MongoDB migration scripts in
// release order, each at most once. See README.md.
package main

import (
	"context"
	"os"

	"github.com/relmig/relmig/cmd/relmig/internal/root"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version string

func main() {
	os.Exit(int(root.System(context.Background(), version)))
}
