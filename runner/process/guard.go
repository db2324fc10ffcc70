package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// GuardMarker is the name a guard process runs under (its $0), so that a
// later run can tell a live guard from an unrelated process that reused
// its pid (see GuardAlive).
const GuardMarker = "relmig-guard"

// guardScript is the guard's program. It reads lines from stdin: "+ G"
// adds process group G to the set it watches, "- G" drops it, and "0"
// empties the set. Its stdin is a pipe whose only writer is relmig: when
// relmig dies, however it dies (SIGKILL included), the kernel closes the
// pipe, the read loop ends, and the guard stops every group still in the
// set the way Run does, SIGTERM and then SIGKILL after the grace period
// ($1 tenths of a second), and waits for the groups to be gone. It
// ignores the signals a terminal or a closing session sends, so that it
// outlives relmig; relmig ends it by writing "0" and closing the pipe.
const guardScript = `trap '' HUP INT TERM PIPE QUIT
pgs=
while read -r op pg; do
	case $op in
	0) pgs= ;;
	+) case $pg in ''|*[!0-9]*|0|1) ;; *) pgs="$pgs $pg" ;; esac ;;
	-) left=; for p in $pgs; do [ "$p" = "$pg" ] || left="$left $p"; done; pgs=$left ;;
	esac
done
[ -n "$pgs" ] || exit 0
for p in $pgs; do kill -TERM -"$p" 2>/dev/null; done
n=0
while :; do
	alive=; for p in $pgs; do kill -0 -"$p" 2>/dev/null && alive="$alive $p"; done
	pgs=$alive
	[ -n "$pgs" ] || exit 0
	n=$((n+1))
	if [ "$n" -ge "$1" ]; then for p in $pgs; do kill -KILL -"$p" 2>/dev/null; done; fi
	# Zombies that nobody reaps still answer kill -0: give up 5s after KILL.
	if [ "$n" -ge $(($1 + 50)) ]; then exit 0; fi
	sleep 0.1
done
`

// Guard is a small watchdog process that makes a script die with the
// relmig that started it: a script runs in a process group of its own (so
// a signal reaches its grandchildren), which also means nothing kills it
// when relmig is killed with SIGKILL. The guard does. One guard serves a
// whole run, scripts and setups alike (a setup prepared ahead runs beside
// a script); Run tells it each command's group as it starts and ends. It
// runs /bin/sh, in a process group of its own.
type Guard struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	w   *os.File
	err error // the first failed write: the guard is gone
}

// StartGuard starts a guard that gives a group grace between SIGTERM and
// SIGKILL (zero means DefaultGrace).
func StartGuard(grace time.Duration) (*Guard, error) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start guard: %w", err)
	}
	ticks := strconv.Itoa(int(max(grace/(100*time.Millisecond), 1)))
	cmd := exec.Command("/bin/sh", "-c", guardScript, GuardMarker, ticks)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start guard: %w", err)
	}
	r.Close()
	return &Guard{cmd: cmd, w: w}, nil
}

// PID is the guard's process id, recorded on each running attempt so that
// a run taking over on the same host can wait for it (GuardAlive).
func (g *Guard) PID() int { return g.cmd.Process.Pid }

// watch adds pgid to the groups to stop if relmig dies.
func (g *Guard) watch(pgid int) error { return g.send("+ " + strconv.Itoa(pgid)) }

// unwatch drops pgid: its command has ended.
func (g *Guard) unwatch(pgid int) error { return g.send("- " + strconv.Itoa(pgid)) }

// send writes one line of the guard's protocol (see guardScript).
func (g *Guard) send(line string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	if _, err := io.WriteString(g.w, line+"\n"); err != nil {
		g.err = fmt.Errorf("guard process %d is gone: %w", g.PID(), err)
		return g.err
	}
	return nil
}

// Close ends the guard without stopping anything and waits for it.
func (g *Guard) Close() error {
	werr := g.send("0")
	g.mu.Lock()
	cerr := g.w.Close()
	g.mu.Unlock()
	// The guard exits at once on "0" and the end of its input; should it
	// not (a stopped guard), relmig must not hang on it.
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(guardExit):
		_ = g.cmd.Process.Kill()
		err = fmt.Errorf("guard process %d did not exit; killed it", g.PID())
		<-done
	}
	if werr != nil {
		return werr
	}
	return errors.Join(cerr, err)
}

// guardExit bounds the wait for a guard told to exit.
const guardExit = 5 * time.Second

// GuardAlive reports whether pid is a live guard process on this host that
// was started no later than before (the start of the attempt it guarded).
// On Linux it reads the process's command line and start time, so a pid
// reused by another program, or by a later run's guard, does not count;
// elsewhere any live process with that pid counts, which errs on the side
// of waiting.
func GuardAlive(pid int, before time.Time) bool {
	if pid <= 1 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	if !bytes.Contains(cmdline, []byte("\x00"+GuardMarker+"\x00")) {
		return false
	}
	if started, ok := procStart(dir); ok && started.After(before.Add(time.Second)) {
		return false // a later guard that reused the pid
	}
	return true
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/cmdline")
	return err == nil
}

// procStart is when the process of /proc dir started, from its stat file
// (field 22, clock ticks since boot, at the usual 100 per second) and the
// boot time in /proc/stat.
func procStart(dir string) (time.Time, bool) {
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return time.Time{}, false
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return time.Time{}, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	sys, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(sys), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(boot, 0).Add(time.Duration(ticks) * time.Second / 100), true
		}
	}
	return time.Time{}, false
}

// AttemptEnv is the environment variable that carries a running attempt's
// id into its script and everything the script starts; AttemptAlive finds
// the attempt's processes by it.
const AttemptEnv = "RELMIG_ATTEMPT_ID"

// AttemptAlive reports whether a process of attempt id still runs on this
// host: one whose environment has AttemptEnv=id. checked is false when the
// process table cannot be read this way (no /proc), and the caller must
// fall back to GuardAlive. Processes of other users whose environment is
// not readable are not counted: relmig runs scripts as its own user.
func AttemptAlive(id string) (alive, checked bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil || !procMounted() {
		return false, false
	}
	want := []byte(AttemptEnv + "=" + id + "\x00")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		if bytes.HasPrefix(env, want) || bytes.Contains(env, append([]byte("\x00"), want...)) {
			return true, true
		}
	}
	return false, true
}
