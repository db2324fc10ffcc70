package main

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devServer is a development server of the test's own (bin/devdb), so
// that the test can kill it without disturbing the shared one.
type devServer struct {
	t    *testing.T
	bin  string
	data string
	addr string // host:port, kept across restarts
	cmd  *exec.Cmd
	done chan struct{}
}

// startDevServer starts bin/devdb with its data in a test folder and
// returns once it printed its URI.
func startDevServer(t *testing.T) *devServer {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "devdb")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make bin/devdb` (make test builds it)", bin)
	}
	s := &devServer{t: t, bin: bin, data: filepath.Join(t.TempDir(), "data"), addr: "127.0.0.1:0"}
	s.start()
	return s
}

func (s *devServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-data", s.data, "-addr", s.addr)
	s.cmd.Stderr = os.Stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	cmd, done := s.cmd, s.done
	go func() { _ = cmd.Wait(); close(done) }()
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		for sc.Scan() {
		}
	}()
	select {
	case l, ok := <-line:
		u, err := url.Parse(l)
		if !ok || err != nil || u.Host == "" {
			s.t.Fatalf("devdb printed %q, not its URI", l)
		}
		s.addr = u.Host
	case <-time.After(time.Minute):
		s.t.Fatal("devdb did not print its URI within a minute")
	}
}

// kill stops the server at once, as a crash or a network partition would.
func (s *devServer) kill() {
	s.t.Helper()
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *devServer) uri(db string) string { return fmt.Sprintf("mongodb://%s/%s", s.addr, db) }

// TestDatabaseGoesAway: the server dies while the next migration's
// checkout is being set up (after the previous one was recorded, before
// the next one's running record). relmig stops with a clear error, never
// starts that script, and, once the server is back, a run finds the
// history intact and runs the script exactly once.
func TestDatabaseGoesAway(t *testing.T) {
	t.Parallel()
	srv := startDevServer(t)
	a := newApp(t, srv.uri("app"), map[string]string{
		"releasemap.yaml": `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: first.sh
  - version: v1.1.0
    migrations:
      - id: second.sh
        workdir: release
        setup: 'echo started > "$MARKS/setup.started"; i=0; while [ ! -e "$MARKS/go" ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done'
`,
		"migrations/first.sh":  markScript,
		"migrations/second.sh": `echo x >> "$MARKS/second.runs"` + "\n",
	})
	a.commitTagged("v1.0.0", "v1.1.0")

	up := []string{"up", "--apply", "--server-timeout", "2s", "--lease", "5s", "--cache-dir", filepath.Join(a.dir, "cache")}
	p := a.start(up...)
	a.waitFor(p, "setup.started")
	srv.kill()
	if err := os.WriteFile(filepath.Join(a.marks, "go"), []byte("go"), 0o644); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t)
	stderr := p.stderr.String()
	// Either the claim fails (the server is gone) or, when the host was
	// slow enough for the lease to run out first, the fence refuses: both
	// stop before the script, with a clear error, non-zero.
	if (code != 1 && code != 4) || !regexp.MustCompile(`relmig: (claim second\.sh \(not started\)|second\.sh not started): `).MatchString(stderr) {
		t.Errorf("exit code %d, want 1 or 4 with a clear error\nstderr:\n%s", code, stderr)
	}
	if !a.marked("first.sh") || a.marked("second.runs") {
		t.Errorf("first.sh ran: %v; second.sh ran: %v", a.marked("first.sh"), a.marked("second.runs"))
	}

	// The server is back with its data: first.sh succeeded, second.sh has
	// no record. The dead run's lease expires; the next run takes it over
	// and runs second.sh once.
	srv.start()
	a.connect()
	if got := statuses(a.attempts("first.sh")); strings.Join(got, ",") != "succeeded" {
		t.Errorf("first.sh records = %v, want [succeeded]", got)
	}
	if got := a.attempts("second.sh"); len(got) != 0 {
		t.Errorf("second.sh has records although its running record could not be written: %+v", got)
	}
	next := a.run(append(up, "--wait-lock", "30s")...)
	if next.code != 0 {
		t.Errorf("next run: exit %d\n%s", next.code, next.stderr)
	}
	if got := statuses(a.attempts("second.sh")); strings.Join(got, ",") != "succeeded" {
		t.Errorf("second.sh records = %v, want [succeeded]", got)
	}
	if b, _ := os.ReadFile(filepath.Join(a.marks, "second.runs")); string(b) != "x\n" {
		t.Errorf("second.sh ran %q times, want once", b)
	}
}
