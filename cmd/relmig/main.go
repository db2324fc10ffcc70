// Command relmig runs an application's loose MongoDB migration scripts in
// release order, each at most once. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/relmig/relmig/cmd/relmig/internal/root"
	"golang.org/x/term"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version string

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	// SIGHUP (a closed terminal or SSH session) stops a run the way SIGTERM
	// does, with the attempt recorded and the lock released.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// A closed stdout or stderr (`relmig up --apply | head`, a dropped
	// session) must not kill a run mid-migration: with SIGPIPE ignored a
	// write to it fails with EPIPE, which output writers tolerate, and the
	// run goes on to record its outcomes and release the lock.
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		// The first signal cancels the run: the script's process group is
		// stopped, the attempt recorded as interrupted, the lock released.
		s := <-sigs
		// On a terminal the progress line may be drawn: start on a clean line.
		lineStart := ""
		if term.IsTerminal(int(os.Stderr.Fd())) {
			lineStart = "\r\033[K"
		}
		fmt.Fprintf(os.Stderr, lineStart+"relmig: %s: stopping the running script, recording it as interrupted and releasing the lock (again to exit at once)\n", s)
		cancel()
		// The second exits at once, skipping that cleanup.
		<-sigs
		fmt.Fprintln(os.Stderr, "relmig: exiting without cleanup (a running script is stopped by its guard)")
		os.Exit(130)
	}()
	code := root.System(ctx, version)
	cancel()
	os.Exit(int(code))
}
