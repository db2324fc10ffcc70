package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// setupDone ends the name of the file that marks a checkout whose setup
// succeeded; it holds the setup command, so a changed command runs again.
// It lives beside the checkout, not in it: the exported tree is the
// application's, and a file (or symlink) of that name in it must neither
// fake a finished setup nor redirect relmig's write.
const setupDone = ".setup-done"

// prepared is what a migration runs with once its working directory is
// ready: the checkout (or repository) root, the folder command runs in
// (root or its cwd), the script, and the toolchain (nil with toolchain
// off).
type prepared struct {
	root, dir, script string
	tc                *toolchain.Toolchain
}

// prepare returns where and with what a migration runs. With workdir:
// release (or for a script a later release deleted) that is a checkout of
// the migration's own release, prepared once per run (see checkoutFor);
// with workdir: current, the repository, with its toolchain.
func (r *Runner) prepare(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner) (prepared, error) {
	g := e.Migration
	var p prepared
	var err error
	if tag := r.releaseTag(e, s); tag != "" {
		p, err = r.checkoutFor(ctx, e, s, tag)
	} else {
		p, err = r.prepareIn(ctx, e, s, r.opts.RepoRoot, false)
	}
	if err != nil {
		return prepared{}, err
	}
	p.script = r.scriptIn(p.root, g)
	if _, err := os.Stat(p.script); err != nil {
		return prepared{}, fmt.Errorf("script %s: %w", g.ScriptPath(), err)
	}
	return p, nil
}

// prepareCheckout exports tag's tree into the cache once, resolves its
// toolchain (fetches announced as EventSetup notes) and runs setup once per
// checkout in cwd with the toolchain first on PATH. Ahead, it runs in the
// background while another migration runs: setup's output goes to its log
// file only, and every note says "ahead".
func (r *Runner) prepareCheckout(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner, tag string, ahead bool) (prepared, error) {
	root, err := r.checkout(ctx, e, tag, ahead)
	if err != nil {
		return prepared{}, err
	}
	p, err := r.prepareIn(ctx, e, s, root, ahead)
	if err != nil {
		return prepared{}, err
	}
	if s.Setup != "" {
		if err := r.setup(ctx, e, tag, s, p, ahead); err != nil {
			return prepared{}, err
		}
	}
	return p, nil
}

// prepareIn is the folder a migration runs in under root, and its
// toolchain.
func (r *Runner) prepareIn(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner, root string, ahead bool) (prepared, error) {
	p := prepared{root: root}
	dir, err := insideDir(root, s.Cwd)
	if err != nil {
		return prepared{}, err
	}
	p.dir = dir
	if p.tc, err = r.toolchainFor(ctx, e, s, root, ahead); err != nil {
		return prepared{}, err
	}
	return p, nil
}

// insideDir returns root/cwd, refusing a cwd that is not a folder inside
// root, also through symlinks (the checkout is the application's).
func insideDir(root, cwd string) (string, error) {
	if cwd == "" {
		return root, nil
	}
	clean := path.Clean(cwd)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("cwd %q is outside the checkout", cwd)
	}
	dir := filepath.Join(root, filepath.FromSlash(clean))
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("cwd %q: %w", cwd, err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("cwd %q: %w", cwd, err)
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("cwd %q resolves to %s, outside the checkout", cwd, real)
	}
	if info, err := os.Stat(real); err != nil || !info.IsDir() {
		return "", fmt.Errorf("cwd %q is not a folder in the checkout", cwd)
	}
	return dir, nil
}

// scriptPath is where the script of e is, when that is known without
// exporting or setting up anything: in the repository, or in a checkout
// already exported.
func (r *Runner) scriptPath(e releasemap.RangeEntry, s releasemap.Runner) (string, bool) {
	root := r.opts.RepoRoot
	if tag := r.releaseTag(e, s); tag != "" {
		root = r.checkoutDir(tag)
		if _, err := os.Stat(root); err != nil {
			return "", false
		}
	}
	return r.scriptIn(root, e.Migration), true
}

// releaseTag is the tag whose checkout e runs from (workdir: release, or a
// script a later release deleted), or "" when it runs from the repository.
func (r *Runner) releaseTag(e releasemap.RangeEntry, s releasemap.Runner) string {
	if s.Workdir != "release" && e.Migration.RemovedIn == "" {
		return ""
	}
	return r.seq.Tag(e.Release)
}

// checkoutDir is where tag's checkout lives in the cache.
func (r *Runner) checkoutDir(tag string) string {
	return filepath.Join(r.opts.CacheDir, "checkouts", safeName(tag))
}

// scriptIn is g's script in the tree at root.
func (r *Runner) scriptIn(root string, g *releasemap.Migration) string {
	return filepath.Join(root, filepath.FromSlash(r.opts.Dir), filepath.FromSlash(g.ScriptPath()))
}

// checkout exports tag's tree into the cache once and returns its folder.
func (r *Runner) checkout(ctx context.Context, e releasemap.RangeEntry, tag string, ahead bool) (string, error) {
	if r.opts.Export == nil {
		return "", errors.New("workdir release: no way to export releases was configured")
	}
	dest := r.checkoutDir(tag)
	if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
		r.note(e, ahead, "exporting "+tag)
		if err := r.export(ctx, tag, dest); err != nil {
			return "", fmt.Errorf("checkout of %s: %w", tag, err)
		}
	} else if err != nil {
		return "", fmt.Errorf("checkout of %s: %w", tag, err)
	}
	return dest, nil
}

// setupKey is what the marker of a finished setup holds: the command, and
// the cwd and toolchain it ran with when set, so that a change of any of
// them runs setup again.
func setupKey(s releasemap.Runner, tc *toolchain.Toolchain) string {
	key := s.Setup
	if s.Cwd != "" {
		key += "\n# cwd: " + s.Cwd
	}
	if tc != nil {
		key += "\n# toolchain: " + toolchainKey(tc)
	}
	return key
}

// setup runs the setup command once in a checkout (in its cwd, with its
// toolchain), and records its success beside the checkout. Ahead, its
// output goes to the log file only.
func (r *Runner) setup(ctx context.Context, e releasemap.RangeEntry, tag string, s releasemap.Runner, p prepared, ahead bool) error {
	key := setupKey(s, p.tc)
	marker := p.root + setupDone
	if prev, err := os.ReadFile(marker); err == nil && string(prev) == key {
		return nil
	}
	t, err := process.ParseShellTemplate(s.Setup)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	env, err := r.envFor(e)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	env = withToolchain(env, p.tc)
	argv, err := t.Expand(r.vars(e, env, p.root))
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	spec := process.Spec{
		Argv: argv, Dir: p.dir, Env: envList(env), Live: r.opts.Live, Prefix: "  │ setup: ",
		Redact: r.opts.Redact, Command: r.opts.Command, Grace: r.opts.Grace, Guard: r.guard,
		LogFile: filepath.Join(r.opts.LogDir, r.opts.RunID, "setup-"+safeName(tag)+".log"),
	}
	if ahead {
		spec.Live = io.Discard
	}
	where := "log " + spec.LogFile
	// The folders the setup's placeholders name, so its note says where
	// it works.
	for _, ph := range [...]struct{ name, value string }{{"{cache}", r.opts.SharedCache}, {"{map_dir}", r.opts.MapDir}} {
		if strings.Contains(s.Setup, ph.name) && ph.value != "" {
			where += "; " + ph.name + " is " + ph.value
		}
	}
	// A stalled install must stop the run, not hang it: setup_timeout
	// bounds it, else the migration's timeout.
	if limit := cmp.Or(s.SetupTimeout, s.Timeout); limit != "" {
		if spec.Timeout, err = time.ParseDuration(limit); err != nil {
			return fmt.Errorf("setup: timeout: %w", err)
		}
	}
	// One setup at a time: an install and build use every core there is,
	// so a second one beside it only slows both down.
	if ahead {
		if err := r.awaitGate(ctx); err != nil {
			return fmt.Errorf("setup in checkout of %s not started: %w", tag, err)
		}
	}
	select {
	case r.setupSlot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("setup in checkout of %s not started: %w", tag, ctx.Err())
	}
	// Noted once it starts, not while it waits for the slot.
	r.note(e, ahead, "setup in "+tag+" ("+where+"): "+s.Setup)
	res, err := process.Run(ctx, spec)
	<-r.setupSlot
	if err != nil {
		return fmt.Errorf("setup in checkout of %s failed (%s; log %s): %w", tag, res, res.LogFile, err)
	}
	if err := os.WriteFile(marker, []byte(key), 0o644); err != nil {
		return fmt.Errorf("setup: record success: %w", err)
	}
	took := res.Duration.Round(time.Millisecond)
	if took >= time.Second {
		took = res.Duration.Round(100 * time.Millisecond)
	}
	r.note(e, ahead, fmt.Sprintf("setup in %s done in %s", tag, took))
	return nil
}

// export writes tag's tree to dest with Options.Export, which writes it
// all or nothing (gitscan.ExportTree exports into a temporary sibling and
// renames it into place), so that an export cut short is never taken for
// a checkout. Of two runs exporting at once, the second finds dest there.
func (r *Runner) export(ctx context.Context, tag, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if err := r.opts.Export(ctx, tag, dest); err != nil {
		if _, serr := os.Stat(dest); serr == nil {
			return nil // another run finished the same export first
		}
		return err
	}
	return nil
}
