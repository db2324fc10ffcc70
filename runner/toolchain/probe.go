package toolchain

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// probeTimeout bounds one `tool --version`: a tool that takes longer is
// broken, not slow.
const probeTimeout = 30 * time.Second

// lookPath finds an executable named name in the folders of pathList (a
// PATH value), without reading the process environment.
func lookPath(name, pathList string) string {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// envValue returns NAME's value in env ("NAME=value" entries; the last wins).
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// withEnv returns env with NAME set to value (replacing earlier entries).
func withEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok && k == name {
			continue
		}
		out = append(out, kv)
	}
	return append(out, name+"="+value)
}

// probeVersion runs `exe --version` with env and reads the version it
// prints (`v20.20.2`, `9.11.0`). Corepack's shims are told not to download
// anything: a probe never fetches.
func probeVersion(ctx context.Context, exe string, env []string) (*semver.Version, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	env = withEnv(env, "COREPACK_ENABLE_NETWORK", "0")
	env = withEnv(env, "COREPACK_ENABLE_DOWNLOAD_PROMPT", "0")
	cmd := exec.CommandContext(ctx, exe, "--version")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", exe, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	v, err := semver.StrictNewVersion(strings.TrimPrefix(strings.TrimSpace(line), "v"))
	if err != nil {
		return nil, fmt.Errorf("%s --version printed %q, not a version", exe, line)
	}
	return v, nil
}
