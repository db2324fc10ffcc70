package root

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

func TestExitCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want cmdutil.ExitCode
	}{
		{"usage", cmdutil.Usagef("bad flag"), cmdutil.ExitUsage},
		{"bad input", cmdutil.BadInput(errors.New("x")), cmdutil.ExitUsage},
		{"invalid map", fmt.Errorf("load: %w", &releasemap.ProblemsError{}), cmdutil.ExitUsage},
		{"bad version", fmt.Errorf("x: %w", releasemap.ErrBadVersion), cmdutil.ExitUsage},
		{"bad range", fmt.Errorf("x: %w", releasemap.ErrBadRange), cmdutil.ExitUsage},
		{"explicit code", cmdutil.WithCode(errors.New("refused"), cmdutil.ExitRefused), cmdutil.ExitRefused},
		{"silent", &cmdutil.SilentError{Code: cmdutil.ExitLocked, Err: errors.New("held")}, cmdutil.ExitLocked},
		{"canceled", fmt.Errorf("run: %w", context.Canceled), cmdutil.ExitCanceled},
		{"anything else", errors.New("boom"), cmdutil.ExitError},
	}
	for _, tt := range tests {
		if got := ExitCodeOf(tt.err); got != tt.want {
			t.Errorf("%s: ExitCodeOf = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func run(t *testing.T, env map[string]string, args ...string) (code cmdutil.ExitCode, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = Main(context.Background(), args, io, func(k string) string { return env[k] }, "v9.9.9")
	return code, out.String(), errOut.String()
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   cmdutil.ExitCode
		stderr string
	}{
		{[]string{"between", "v1.0.0"}, cmdutil.ExitUsage, "relmig between needs FROM and TO (got 1 arguments)\nRun 'relmig between --help' for usage.\n"},
		{[]string{"between", "v1.0.0", "v2.0.0", "--nope"}, cmdutil.ExitUsage, "unknown flag: --nope"},
		{[]string{"map", "show", "extra"}, cmdutil.ExitUsage, `takes no arguments (got "extra")`},
		{[]string{"version", "-o", "xml"}, cmdutil.ExitUsage, `--output "xml": want table, wide or json`},
		{[]string{"map", "biuld"}, cmdutil.ExitUsage, "relmig: unknown command \"biuld\" for \"relmig map\"; did you mean \"build\"?\nRun 'relmig map --help' for usage.\n"},
		{[]string{"completion", "bsh"}, cmdutil.ExitUsage, "relmig: unknown command \"bsh\" for \"relmig completion\"; did you mean \"bash\", \"fish\" or \"zsh\"?\n"},
		{[]string{"stauts"}, cmdutil.ExitUsage, "relmig: unknown command \"stauts\" for \"relmig\"; did you mean \"status\"?\n"},
		{[]string{"map", "zzz"}, cmdutil.ExitUsage, "relmig: unknown command \"zzz\" for \"relmig map\" (want build, check, show)\n"},
		{[]string{"between", "v1.0.0", "v2.0.0", "--map", "/nonexistent/map.yaml"}, cmdutil.ExitUsage, "read release map: open /nonexistent/map.yaml"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) || stdout != "" {
			t.Errorf("%v: code %d stdout %q stderr %q; want code %d, stderr containing %q", tt.args, code, stdout, stderr, tt.code, tt.stderr)
		}
	}
}

func TestGroupsWithoutArgumentsShowHelp(t *testing.T) {
	for _, args := range [][]string{{"map"}, {"completion"}, {}} {
		code, stdout, _ := run(t, nil, args...)
		if code != 0 || !strings.Contains(stdout, "Available Commands:") {
			t.Errorf("%v: code %d, stdout %q", args, code, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run(t, nil, "version")
	if code != 0 || stdout != "relmig v9.9.9\n" {
		t.Errorf("version: %d %q", code, stdout)
	}
	code, stdout, _ = run(t, nil, "version", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"version": "v9.9.9"`) {
		t.Errorf("version json: %d %q", code, stdout)
	}
}

func TestCompletion(t *testing.T) {
	code, stdout, _ := run(t, nil, "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "__start_relmig") {
		t.Errorf("completion bash: code %d, %d bytes", code, len(stdout))
	}
}
