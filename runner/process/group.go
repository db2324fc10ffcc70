package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// group signals the process group of one child. The child is its group's
// leader, so the group id is the child's pid; signalling -pid reaches every
// process the script started that did not leave the group, grandchildren
// included.
type group struct {
	grace time.Duration

	mu         sync.Mutex
	pid        int
	terminated bool        // terminate ran: relmig, not the script, ended it
	done       bool        // the leader was reaped: never signal the id again
	kill       *time.Timer // the SIGKILL that follows SIGTERM after grace
}

// terminate sends SIGTERM to the group of the started child pid and
// schedules SIGKILL after the grace period. It backs the command's Cancel
// function, which exec calls once when the command's context is done while
// the child runs.
func (g *group) terminate(pid int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Signalling -0 or -1 would hit relmig's own group or every process we
	// may signal: refuse anything but a real child pid.
	if pid <= 1 {
		return fmt.Errorf("terminate: invalid pid %d", pid)
	}
	if g.done || g.terminated {
		return nil
	}
	g.pid = pid
	g.terminated = true
	g.kill = time.AfterFunc(g.grace, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.done {
			_ = syscall.Kill(-g.pid, syscall.SIGKILL)
		}
	})
	if err := syscall.Kill(-g.pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return fmt.Errorf("terminate process group %d: %w", g.pid, err)
	}
	return nil
}

// reaped is called once the leader has been waited for. It kills whatever is
// left of the group at once: anything still running there is an orphan of
// this attempt that would otherwise outlive it (and keep database connections
// open). After it returns the group id is never signalled again, because
// once the group is empty the kernel may hand the id to an unrelated process.
// It reports whether terminate ran.
func (g *group) reaped(pid int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.kill != nil {
		g.kill.Stop()
	}
	if !g.done && pid > 1 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	g.done = true
	return g.terminated
}

// signalName returns a signal's conventional name, such as SIGTERM.
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return sig.String()
}

// lookPath resolves a command name without a slash in the PATH of the
// child's environment, not relmig's own, so a runner env that puts a
// particular Node.js first on PATH is honoured. Relative PATH entries are
// skipped for the reason exec.LookPath refuses them: the working directory
// would decide which program runs. Without PATH in env the name is returned
// unchanged and the command constructor resolves it.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, ok := envValue(env, "PATH")
	if !ok {
		return name, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable not found in the command's PATH", name)
}

// envValue returns the last value of key in env, the one a child would see.
func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
