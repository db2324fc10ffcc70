package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
)

// setupDone ends the name of the file that marks a checkout whose setup
// succeeded; it holds the setup command, so a changed command runs again.
// It lives beside the checkout, not in it: the exported tree is the
// application's, and a file (or symlink) of that name in it must neither
// fake a finished setup nor redirect relmig's write.
const setupDone = ".setup-done"

// prepare returns the working directory and the script's path for a
// migration. With workdir: release (or for a script a later release
// deleted) that is a checkout of the migration's own release, exported once
// into the cache and set up once; with workdir: current, the repository.
func (r *Runner) prepare(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner) (work, script string, err error) {
	g := e.Migration
	work = r.opts.RepoRoot
	tag := r.seq.Tag(e.Release)
	if (s.Workdir == "release" || g.RemovedIn != "") && tag != "" {
		work, err = r.checkout(ctx, e, tag, s.Setup)
		if err != nil {
			return "", "", err
		}
	}
	script = filepath.Join(work, filepath.FromSlash(r.opts.Dir), filepath.FromSlash(g.ScriptPath()))
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("script %s: %w", g.ScriptPath(), err)
	}
	return work, script, nil
}

// scriptPath is where the script of e is, when that is known without
// exporting or setting up anything: in the repository, or in a checkout
// already exported.
func (r *Runner) scriptPath(e releasemap.RangeEntry, s releasemap.Runner) (string, bool) {
	g := e.Migration
	work := r.opts.RepoRoot
	if tag := r.seq.Tag(e.Release); (s.Workdir == "release" || g.RemovedIn != "") && tag != "" {
		work = filepath.Join(r.opts.CacheDir, "checkouts", safeName(tag))
		if _, err := os.Stat(work); err != nil {
			return "", false
		}
	}
	return filepath.Join(work, filepath.FromSlash(r.opts.Dir), filepath.FromSlash(g.ScriptPath())), true
}

func (r *Runner) checkout(ctx context.Context, e releasemap.RangeEntry, tag, setup string) (string, error) {
	if r.opts.Export == nil {
		return "", errors.New("workdir release: no way to export releases was configured")
	}
	dest := filepath.Join(r.opts.CacheDir, "checkouts", safeName(tag))
	if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
		r.emit(Event{Kind: EventSetup, Entry: e, Note: "exporting " + tag})
		if err := r.export(ctx, tag, dest); err != nil {
			return "", fmt.Errorf("checkout of %s: %w", tag, err)
		}
	} else if err != nil {
		return "", fmt.Errorf("checkout of %s: %w", tag, err)
	}
	if setup == "" {
		return dest, nil
	}
	marker := dest + setupDone
	if prev, err := os.ReadFile(marker); err == nil && string(prev) == setup {
		return dest, nil
	}
	r.emit(Event{Kind: EventSetup, Entry: e, Note: "setup in " + tag + ": " + setup})
	t, err := process.ParseShellTemplate(setup)
	if err != nil {
		return "", fmt.Errorf("setup: %w", err)
	}
	env := r.envFor(e)
	argv, err := t.Expand(r.vars(e, env, dest))
	if err != nil {
		return "", fmt.Errorf("setup: %w", err)
	}
	res, err := process.Run(ctx, process.Spec{
		Argv: argv, Dir: dest, Env: envList(env), Live: r.opts.Live, Prefix: "  │ setup: ",
		Redact: r.opts.Redact, Command: r.opts.Command, Grace: r.opts.Grace,
		LogFile: filepath.Join(r.opts.LogDir, r.opts.RunID, "setup-"+safeName(tag)+".log"),
	})
	if err != nil {
		return "", fmt.Errorf("setup in checkout of %s failed (%s; log %s): %w", tag, res, res.LogFile, err)
	}
	if err := os.WriteFile(marker, []byte(setup), 0o644); err != nil {
		return "", fmt.Errorf("setup: record success: %w", err)
	}
	return dest, nil
}

// export writes tag's tree to dest all or nothing: into a fresh folder
// beside it, renamed into place once complete, so that an export cut short
// (a crash, a full disk) is never taken for a checkout, and two runs
// exporting at once do not write into one folder.
func (r *Runner) export(ctx context.Context, tag, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), filepath.Base(dest)+".export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone after the rename; what is left otherwise
	tree := filepath.Join(tmp, "tree")
	if err := r.opts.Export(ctx, tag, tree); err != nil {
		return err
	}
	if err := os.Rename(tree, dest); err != nil {
		if _, serr := os.Stat(dest); serr == nil {
			return nil // another run finished the same export first
		}
		return err
	}
	return nil
}
