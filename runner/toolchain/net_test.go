package toolchain_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/runner/toolchain"
)

// TestRealRegistry fetches node 16.15.1, pnpm 7.33.4 and the npm for that
// node from the real npm registry (what Novu v0.18.0 needs) and runs them;
// then, for a Novu v2.0.0-like checkout, pnpm 9.11.0 checked against the
// corepack hash its packageManager carries, with the machine's node when it
// is a 20. It is opt-in:
// RELMIG_TOOLCHAIN_NET=1 enables it, RELMIG_TOOLCHAIN_CACHE keeps the cache
// in a folder of your choice (default: a temporary one, so it always
// fetches).
func TestRealRegistry(t *testing.T) {
	if os.Getenv("RELMIG_TOOLCHAIN_NET") != "1" {
		t.Skip("set RELMIG_TOOLCHAIN_NET=1 to fetch from https://registry.npmjs.org")
	}
	cache := os.Getenv("RELMIG_TOOLCHAIN_CACHE")
	if cache == "" {
		cache = t.TempDir()
	}
	ev := &events{}
	r, err := toolchain.New(toolchain.Options{
		CacheDir: cache,
		Report:   func(e toolchain.Event) { ev.report(e); t.Log(e) },
		Env:      []string{"PATH=" + t.TempDir()}, // no node on PATH: always the registry's
		GOOS:     "linux", GOARCH: "amd64",
	})
	if err != nil {
		t.Fatal(err)
	}
	root := writeTree(t, map[string]string{
		".nvmrc":       "16.15.1\n",
		"package.json": `{"engines":{"node":">=16.15.1 <20"},"packageManager":"pnpm@7.33.4"}`,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	tc, err := r.Ensure(ctx, root, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resolved %s in %s", tc, time.Since(start).Round(time.Millisecond))
	for _, e := range ev.kinds(toolchain.EventFetch) {
		if !strings.HasPrefix(e.URL, "https://registry.npmjs.org/") {
			t.Errorf("fetched from %s", e.URL)
		}
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `node --version && node -p process.arch && pnpm --version && npx --version`)
	cmd.Env = tc.Apply([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "v16.15.1\nx64\n7.33.4\n9.9.4" {
		t.Errorf("toolchain runs as %q", got)
	}
	if _, err := os.Stat(filepath.Join(tc.Env["npm_config_nodedir"], "include", "node", "node.h")); err != nil {
		t.Errorf("npm_config_nodedir: %v", err)
	}
}

const pnpm911 = "pnpm@9.11.0+sha512.0a203ffaed5a3f63242cd064c8fb5892366c103e328079318f78062f24ea8c9d50bc6a47aa3567cabefd824d170e78fa2745ed1f16b132e16436146b7688f19b"

func TestRealRegistryPackageManagerHash(t *testing.T) {
	if os.Getenv("RELMIG_TOOLCHAIN_NET") != "1" {
		t.Skip("set RELMIG_TOOLCHAIN_NET=1 to fetch from https://registry.npmjs.org")
	}
	r, err := toolchain.New(toolchain.Options{
		CacheDir: t.TempDir(), Report: func(e toolchain.Event) { t.Log(e) },
		Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"}, Mode: toolchain.ModeAuto,
	})
	if err != nil {
		t.Fatal(err)
	}
	root := writeTree(t, map[string]string{".nvmrc": "20\n", "package.json": `{"packageManager":"` + pnpm911 + `"}`})
	tc, err := r.Ensure(context.Background(), root, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resolved %s, PATH first: %v, env: %v", tc, tc.Path, tc.Env)
	cmd := exec.Command("/bin/sh", "-c", "pnpm --version")
	cmd.Env = tc.Apply([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + t.TempDir()})
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "9.11.0" {
		t.Errorf("pnpm --version: %v %s", err, out)
	}
}
