package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnvKey marks a re-run of the test binary as a fake migration script.
const helperEnvKey = "RELMIG_PROCESS_HELPER"

// helperCommand is a CommandFunc that runs TestHelperProcess in a copy of the
// test binary instead of a real program; name and args pick its behaviour.
func helperCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cs := append([]string{"-test.run=^TestHelperProcess$", "--", name}, args...)
	return exec.CommandContext(ctx, os.Args[0], cs...)
}

// helperSpec returns a Spec that runs the fake script with the given
// arguments and short grace periods, so tests that stop it end quickly.
func helperSpec(args ...string) Spec {
	return Spec{
		Argv: args,
		// The race detector sleeps a second before a clean exit; the fake
		// script has no goroutines worth waiting for.
		Env:         []string{helperEnvKey + "=1", "GORACE=atexit_sleep_ms=0"},
		Grace:       500 * time.Millisecond,
		MarkerGrace: 200 * time.Millisecond,
		Command:     helperCommand,
	}
}

// TestHelperProcess is not a test: it is the fake script that helperCommand
// starts. It does what its first argument after "--" says.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnvKey) != "1" {
		return
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "helper: no command")
		os.Exit(2)
	}
	os.Exit(helperMain(args[1], args[2:]))
}

func helperMain(cmd string, args []string) int {
	hang := func() { time.Sleep(time.Hour) }
	switch cmd {
	case "echo":
		for _, a := range args {
			fmt.Println(a)
		}
	case "exit":
		n, _ := strconv.Atoi(args[0])
		fmt.Println("failing on purpose")
		return n
	case "env":
		v, ok := os.LookupEnv(args[0])
		fmt.Printf("%s=%q set=%v\n", args[0], v, ok)
	case "pwd":
		wd, _ := os.Getwd()
		fmt.Println(wd)
	case "hang":
		fmt.Println("ready")
		hang()
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		hang()
	case "marker-hang":
		fmt.Println("connected")
		fmt.Println(args[0])
		hang() // like a script that leaves its database connection open
	case "marker-stderr":
		fmt.Fprintln(os.Stderr, args[0])
		hang()
	case "marker-split":
		os.Stdout.WriteString("migration DO")
		time.Sleep(100 * time.Millisecond)
		os.Stdout.WriteString("NE, bye\n")
		hang()
	case "marker-exit":
		fmt.Println(args[0])
		return 0
	case "split":
		// Print args[0] in two writes, cut in the middle, then a newline.
		s := args[0]
		os.Stdout.WriteString("before " + s[:len(s)/2])
		time.Sleep(100 * time.Millisecond)
		os.Stdout.WriteString(s[len(s)/2:] + " after\n")
	case "spam":
		n, _ := strconv.Atoi(args[0])
		buf := bytes.Repeat([]byte{'x'}, 64<<10)
		for n > 0 {
			k := min(n, len(buf))
			if _, err := os.Stdout.Write(buf[:k]); err != nil {
				return 1
			}
			n -= k
		}
	case "binary":
		b := make([]byte, 0, 512)
		for i := range 256 {
			b = append(b, byte(i))
		}
		b = append(b, 0xff, 0xfe, 0xe2, 0x82) // invalid and truncated UTF-8
		os.Stdout.Write(b)
	case "close-stdout":
		fmt.Println("closing my output")
		os.Stdout.Close()
		os.Stderr.Close()
		time.Sleep(500 * time.Millisecond)
		return 7
	case "progress":
		// Report N steps, between lines of ordinary output.
		n, _ := strconv.Atoi(args[0])
		for i := 1; i <= n; i++ {
			fmt.Printf("relmig:progress %d/%d\n", i, n)
			fmt.Fprintf(os.Stderr, "batch %d written\n", i)
		}
	case "silent-until":
		// Print once, then nothing until the file args[0] exists.
		fmt.Println("started")
		for {
			if _, err := os.Stat(args[0]); err == nil {
				return 0
			}
			time.Sleep(5 * time.Millisecond)
		}
	case "no-newline":
		os.Stdout.WriteString("first\nlast line without newline")
	default:
		fmt.Fprintf(os.Stderr, "helper: unknown command %q\n", cmd)
		return 2
	}
	return 0
}

// alive reports whether pid is a running process; a zombie is dead (the
// test container's init may never reap it).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

// waitDead fails the test unless pid dies within a generous limit.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // do not leak it past the test
			t.Errorf("process %d still alive", pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// firstInt returns the first line of s that is a number, such as a pid that
// a shell script printed.
func firstInt(t *testing.T, s string) int {
	t.Helper()
	for line := range strings.SplitSeq(s, "\n") {
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil {
			return n
		}
	}
	t.Fatalf("no number in output %q", s)
	return 0
}
