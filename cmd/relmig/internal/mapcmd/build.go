package mapcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/derive"
	"github.com/relmig/relmig/releasemap/gitscan"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// BuildOptions are the inputs of `map build`. A flag left unset (its
// *Set field false) keeps the map's own setting.
type BuildOptions struct {
	F *cmdutil.Factory

	Repo, Dir, Tags, Prefix string
	RepoSet, DirSet         bool
	TagsSet, PrefixSet      bool
	Prereleases             bool
	PrereleasesSet          bool

	// Include replaces the map's include globs; Exclude adds to its
	// exclude globs (the defaults when it has none). Both are saved.
	Include, Exclude []string

	// By is "ancestry" or "date".
	By string
	// Write saves the map in place instead of printing it.
	Write bool
	// CacheDir holds URL clones and the walk cache; empty means the user's
	// cache folder.
	CacheDir string
	// Verbose also lists skipped tags, ignored scripts and every script
	// added more than once.
	Verbose bool
}

// NewCmdBuild builds `relmig map build`; runF replaces the run in tests of
// flag parsing.
func NewCmdBuild(f *cmdutil.Factory, runF func(context.Context, *BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{F: f}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Derive the release map from git history and tags, merged into the existing map",
		Long: `Derive which release introduced each migration script from the repository's
release tags and history, and merge it into the release map: hand-written fields
(descriptions, constraints, requirements, checks, runner overrides, the order
inside a release) survive; derived fields (release, path, commit, added date,
content hash, lineage, removal, renames) are refreshed.

Each script is assigned two ways: by ancestry (the lowest release whose tagged
tree contains it, the default) and by date (the first release tagged after the
commit that added it). --by picks the one the map uses; every script where they
disagree is listed. A changed derived field of a released migration is a
warning, since released migrations must never change.

Settings come from the map (repo, dir, tags, include, exclude); flags override
them and are saved with --write. Without a map file, a new map is built (--dir
is then required). Without --write the map is printed on stdout and the file is
left alone.`,
		Example: `  relmig map build
  relmig map build --write
  relmig map build --repo ../app --dir apps/api/migrations --by date
  relmig map build --repo https://github.com/acme/app.git --dir migrations --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			opts.RepoSet, opts.DirSet = fl.Changed("repo"), fl.Changed("dir")
			opts.TagsSet, opts.PrefixSet = fl.Changed("tags"), fl.Changed("prefix")
			opts.PrereleasesSet = fl.Changed("prereleases")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runBuild(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Repo, "repo", "", "repository: a path inside a work tree, a bare repository, or a URL (default: the map's repo)")
	fl.StringVar(&opts.Dir, "dir", "", "migrations folder inside the repository (default: the map's dir)")
	fl.StringVar(&opts.By, "by", string(derive.ByAncestry), "assignment the map uses: ancestry or date")
	fl.BoolVar(&opts.Write, "write", false, "save the map in place instead of printing it")
	fl.BoolVar(&opts.Prereleases, "prereleases", false, "count pre-release tags (v1.0.0-rc.1) as releases")
	fl.StringVar(&opts.Tags, "tags", "", "glob of release tag names, such as 'v*' (default: the map's tags.match, else every tag)")
	fl.StringVar(&opts.Prefix, "prefix", "", "tag prefix stripped before semver parsing, such as 'api@' (default: the map's tags.prefix)")
	fl.StringVar(&opts.CacheDir, "cache-dir", "", "folder for URL clones and the history cache (default: the user's cache folder/relmig)")
	fl.StringArrayVar(&opts.Include, "include", nil, "glob of scripts, relative to --dir (repeat; replaces the map's include, whose default is script extensions)")
	fl.StringArrayVar(&opts.Exclude, "exclude", nil, "glob of files that are not scripts, relative to --dir (repeat; added to the map's exclude, whose default leaves out tests, dotfiles, configuration and down migrations)")
	fl.BoolVar(&opts.Verbose, "verbose", false, "also list skipped tags, ignored scripts and scripts added more than once")
	return cmd
}

func runBuild(ctx context.Context, opts *BuildOptions) error {
	f := opts.F
	by, err := derive.ParseBy(opts.By)
	if err != nil {
		return cmdutil.Usagef("--by %q: want ancestry or date", opts.By)
	}
	file := f.MapFile()
	base, prev, err := loadForBuild(file, opts.DirSet)
	if err != nil {
		return err
	}
	scanOpts, err := opts.settings(base, file, prev != nil)
	if err != nil {
		return err
	}
	scan, err := gitscan.Scan(ctx, scanOpts)
	if err != nil {
		if errors.Is(err, gitscan.ErrNotRepository) || errors.Is(err, gitscan.ErrIncompleteHistory) ||
			errors.Is(err, gitscan.ErrInvalidOptions) || errors.Is(err, gitscan.ErrRefNotFound) ||
			errors.Is(err, gitscan.ErrEmpty) {
			return cmdutil.BadInput(err)
		}
		return fmt.Errorf("read git history of %s: %w", scanOpts.Repo, err)
	}
	if opts.RepoSet || prev == nil {
		base.Repo = repoField(scanOpts.Repo, filepath.Dir(file))
	}
	built, rep, err := derive.Build(ctx, scan, base, derive.Options{By: by})
	if err != nil {
		return fmt.Errorf("derive release map: %w", err)
	}
	if err := checkBuilt(f, built, prev); err != nil {
		return err
	}
	if opts.Write {
		if err := built.Save(file); err != nil {
			return err
		}
	}
	res := NewBuildResult(file, opts.Write, built, rep, scan, opts.Verbose)
	switch {
	case f.JSON():
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	case !opts.Write:
		data, err := built.Marshal(prev)
		if err != nil {
			return err
		}
		if _, err := f.IO.Out.Write(data); err != nil {
			return fmt.Errorf("write map: %w", err)
		}
	}
	return res.summarise(f.IO.ErrOut, rep, opts.Verbose)
}

// loadForBuild reads the existing map, or starts a new one when the file
// does not exist (which needs --dir). prev is the file's content, nil for
// a new map.
func loadForBuild(file string, dirSet bool) (*releasemap.Map, []byte, error) {
	prev, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !dirSet {
			return nil, nil, cmdutil.Usagef("no release map at %s: pass --dir (and --repo unless it is this folder's repository) to build a new one", file)
		}
		return &releasemap.Map{Relmig: releasemap.FormatVersion}, nil, nil
	case err != nil:
		return nil, nil, cmdutil.BadInput(fmt.Errorf("read release map: %w", err))
	}
	m, err := releasemap.Parse(prev, file)
	if err != nil {
		return nil, nil, cmdutil.BadInput(err)
	}
	return m, prev, nil
}

// settings resolves what to scan: flags override the map's settings, and
// are written into the map, so that what it records is what was scanned.
func (opts *BuildOptions) settings(m *releasemap.Map, file string, exists bool) (gitscan.Options, error) {
	repo := filepath.Dir(file) // a new map's repository is its folder's
	switch {
	case opts.RepoSet:
		if strings.TrimSpace(opts.Repo) == "" {
			return gitscan.Options{}, cmdutil.Usagef("--repo is empty")
		}
		repo = opts.Repo
	case exists && isURL(m.Repo):
		repo = m.Repo
	case exists:
		repo = m.RepoRoot()
	}
	if opts.DirSet {
		m.Dir = opts.Dir
	}
	if opts.TagsSet {
		m.Tags.Match = opts.Tags
	}
	if opts.PrefixSet {
		m.Tags.Prefix = opts.Prefix
	}
	if opts.PrereleasesSet {
		m.Tags.Prereleases = opts.Prereleases
	}
	for _, g := range append(append([]string(nil), opts.Include...), opts.Exclude...) {
		if !doublestar.ValidatePattern(g) {
			return gitscan.Options{}, cmdutil.Usagef("--include/--exclude %q is not a valid glob", g)
		}
	}
	if len(opts.Include) > 0 {
		m.Include = append([]string(nil), opts.Include...)
	}
	if len(opts.Exclude) > 0 {
		_, exclude := m.ScriptGlobs()
		for _, g := range opts.Exclude {
			if !slices.Contains(exclude, g) {
				exclude = append(exclude, g)
			}
		}
		m.Exclude = exclude
	}
	cache := opts.CacheDir
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return gitscan.Options{}, cmdutil.BadInput(fmt.Errorf("no cache folder (%v): pass --cache-dir", err))
		}
		cache = filepath.Join(dir, "relmig")
	}
	// The map's own selection, as map check applies it; never the map
	// file itself, when it lives in the folder.
	include, exclude := m.ScriptGlobs()
	if self := mapInFolder(file, repo, m.Dir); self != "" {
		exclude = append(append([]string(nil), exclude...), escapeGlob(self))
	}
	return gitscan.Options{
		Repo:        repo,
		CacheDir:    cache,
		Dir:         m.Dir,
		TagMatch:    m.Tags.Match,
		TagPrefix:   m.Tags.Prefix,
		Prereleases: m.Tags.Prereleases,
		Include:     include,
		Exclude:     exclude,
	}, nil
}

// mapInFolder returns the map file's path relative to the migrations
// folder of a local repository, or "" when it lies elsewhere.
func mapInFolder(file, repo, dir string) string {
	if isURL(repo) {
		return ""
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		return ""
	}
	folder := filepath.Join(repositoryRoot(repo), filepath.FromSlash(dir))
	rel, err := filepath.Rel(folder, absFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// escapeGlob quotes a path's glob metacharacters.
func escapeGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkBuilt validates the built map as `map check` would (without the
// work tree, which may be elsewhere or absent): a map that would not load
// is never written or printed. Validate finds everything Sequence would
// refuse. The map in memory carries the old file's lines, so problems are
// listed from the rendered map instead, with its lines; rendering is the
// slow part, hence only on failure.
func checkBuilt(f *cmdutil.Factory, built *releasemap.Map, prev []byte) error {
	vopts := releasemap.ValidateOptions{Templates: process.Checker{}, Toolchain: toolchain.Checker{}}
	if built.Validate(vopts) == nil {
		return nil
	}
	const name = "built map"
	data, err := built.Marshal(prev)
	if err != nil {
		return err
	}
	m, err := releasemap.Parse(data, name)
	if err == nil {
		err = m.Validate(vopts)
	}
	var pe *releasemap.ProblemsError
	switch {
	case errors.As(err, &pe):
		for _, p := range pe.Problems {
			fmt.Fprintln(f.IO.ErrOut, p.String())
		}
		return cmdutil.BadInput(fmt.Errorf("the built map has %s (listed above); nothing written", table.Plural(len(pe.Problems), "problem")))
	case err != nil:
		return cmdutil.BadInput(fmt.Errorf("the built map is invalid; nothing written: %w", err))
	}
	return nil // the rendered map, which is what is written, is sound
}

// repoField is the map's `repo` for a repository given on the command line:
// a URL as given; a path as its repository's root relative to the map's
// folder ("" when that is the map's folder).
func repoField(repo, mapDir string) string {
	if isURL(repo) {
		return repo
	}
	root := repositoryRoot(repo)
	absMap, err := filepath.Abs(mapDir)
	if err != nil {
		return filepath.ToSlash(root)
	}
	rel, err := filepath.Rel(absMap, root)
	if err != nil {
		return filepath.ToSlash(root)
	}
	if rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// repositoryRoot walks up from path to the folder holding .git, or to a
// bare repository, as gitscan does; the scan has already succeeded, so one
// is there.
func repositoryRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	for dir := abs; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		if isBare(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		dir = parent
	}
}

func isBare(dir string) bool {
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "HEAD"))
	return err == nil && !fi.IsDir()
}

// isURL mirrors gitscan's rule: scheme://… or the user@host:path form.
func isURL(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	at, colon, slash := strings.Index(repo, "@"), strings.Index(repo, ":"), strings.Index(repo, "/")
	return at > 0 && colon > at+1 && (slash < 0 || colon < slash)
}
