package process

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunEnvAndDir(t *testing.T) {
	t.Run("env is exactly the given list", func(t *testing.T) {
		spec := helperSpec("env", "FOO")
		spec.Env = append(spec.Env, "FOO=from spec")
		res, err := run(t, spec)
		if err != nil || res.Tail != "FOO=\"from spec\" set=true\n" {
			t.Errorf("tail %q, err %v", res.Tail, err)
		}
		spec = helperSpec("env", "HOME") // relmig's own environment must not leak in
		res, err = run(t, spec)
		if err != nil || res.Tail != "HOME=\"\" set=false\n" {
			t.Errorf("tail %q, err %v", res.Tail, err)
		}
	})
	t.Run("working directory", func(t *testing.T) {
		dir, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		spec := helperSpec("pwd")
		spec.Dir = dir
		res, err := run(t, spec)
		if err != nil || res.Tail != dir+"\n" {
			t.Errorf("tail %q, err %v; want %q", res.Tail, err, dir)
		}
	})
	t.Run("program found in the command's PATH", func(t *testing.T) {
		bin := t.TempDir()
		script := filepath.Join(bin, "my-migration")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho ran from $0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := run(t, Spec{Argv: []string{"my-migration"}, Env: []string{"PATH=/usr/bin:" + bin}})
		if err != nil || res.Tail != "ran from "+script+"\n" {
			t.Errorf("tail %q, err %v", res.Tail, err)
		}
		_, err = run(t, Spec{Argv: []string{"my-migration"}, Env: []string{"PATH=/usr/bin"}})
		if err == nil || !strings.Contains(err.Error(), "not found in the command's PATH") {
			t.Errorf("err = %v, want not found", err)
		}
	})
}

func TestRunStartErrors(t *testing.T) {
	_, err := run(t, Spec{Argv: []string{"/nonexistent/program"}})
	var ee *ExitError
	if err == nil || errors.As(err, &ee) || !strings.Contains(err.Error(), "start /nonexistent/program") {
		t.Errorf("err = %v, want a start error", err)
	}
	_, err = run(t, Spec{Argv: []string{"/bin/true"}, Dir: "/nonexistent/dir"})
	if err == nil || errors.As(err, &ee) {
		t.Errorf("err = %v, want a start error", err)
	}
	for _, spec := range []Spec{
		{},
		{Argv: []string{""}},
		{Argv: []string{"x"}, Timeout: -1},
		{Argv: []string{"x"}, TailBytes: -1},
	} {
		if _, err := run(t, spec); err == nil {
			t.Errorf("Run(%+v) accepted an invalid spec", spec)
		}
	}
}

func TestRunOutputErrorIsNotTheScriptsFailure(t *testing.T) {
	spec := helperSpec("echo", "a", "b")
	spec.Live = &failWriter{}
	res, err := run(t, spec)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: %v, exit %d; a broken terminal must not fail the script", err, res.ExitCode)
	}
	if res.OutputErr == nil || !strings.Contains(res.OutputErr.Error(), "write live output: terminal gone") {
		t.Errorf("OutputErr = %v", res.OutputErr)
	}
	if res.Tail != "a\nb\n" {
		t.Errorf("tail = %q, want all output despite the live failure", res.Tail)
	}

	// A log file that cannot be created stops the run before the script
	// starts: every attempt must leave its log.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	spec = helperSpec("echo", "never")
	spec.LogFile = filepath.Join(blocker, "sub", "x.log")
	if _, err := run(t, spec); err == nil || !strings.Contains(err.Error(), "create log directory") {
		t.Errorf("err = %v", err)
	}
}

func TestErrorAndResultText(t *testing.T) {
	for _, tc := range []struct {
		err  *ExitError
		want string
	}{
		{&ExitError{ExitCode: 3, Duration: 1500 * time.Millisecond}, "exited with code 3 after 1.5s"},
		{&ExitError{ExitCode: -1, Signal: "SIGSEGV", Duration: time.Second}, "killed by SIGSEGV after 1s"},
		{&ExitError{ExitCode: -1, Signal: "SIGKILL", Duration: time.Minute, Err: ErrTimeout}, "timed out after 1m0s (killed by SIGKILL)"},
		{&ExitError{ExitCode: 130, Duration: time.Second, Err: ErrInterrupted}, "interrupted after 1s (exited with code 130)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	for _, tc := range []struct {
		res  Result
		want string
	}{
		{Result{ExitCode: 0, Duration: time.Second}, "exit 0 after 1s"},
		{Result{ExitCode: -1, Signal: "SIGTERM", FinishedByMarker: true, Duration: time.Second}, "finished by done marker after 1s (SIGTERM)"},
		{Result{ExitCode: -1, Signal: "SIGTERM", TimedOut: true, Duration: time.Second}, "timed out after 1s (SIGTERM)"},
		{Result{ExitCode: 1, Interrupted: true, Duration: time.Second}, "interrupted after 1s (exit 1)"},
	} {
		if got := tc.res.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
