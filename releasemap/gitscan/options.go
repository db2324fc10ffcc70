package gitscan

import (
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/relmig/relmig/internal/wildmatch"
	"github.com/relmig/relmig/releasemap"
)

// Options says which repository to read and which of its tags and files are
// releases and scripts. Scan validates it; the zero values of optional fields
// select the defaults written next to each field.
type Options struct {
	// Repo is a path anywhere inside a work tree, a bare repository, or a URL
	// (scheme://… or user@host:path). A URL is cloned with go-git into
	// CacheDir on the first run and fetched on later runs.
	Repo string

	// CacheDir holds URL clones and the walk cache. Required: without the
	// cache every run would walk the whole history again.
	CacheDir string

	// Dir is the migrations folder, a slash path relative to the repository
	// root ("apps/api/migrations"). Empty means the repository root.
	Dir string

	// TagMatch is a glob on tag names without "refs/tags/", matched as
	// `git tag -l` matches: "*" crosses "/" (package wildmatch). Empty
	// matches every tag.
	TagMatch string

	// TagPrefix is stripped from a tag name before it is parsed as semver
	// ("v", "api@"). A leading "v" left after the prefix is accepted too, so
	// "api@v1.4.0" and "api@1.4.0" both parse with prefix "api@".
	TagPrefix string

	// Prereleases makes tags such as v1.0.0-rc.1 releases. Off by default:
	// a pre-release would otherwise become the first home of scripts that
	// the final release carries.
	Prereleases bool

	// Include selects scripts by doublestar globs matched against the path
	// relative to Dir. Nil means releasemap.DefaultInclude(), the map's default.
	Include []string

	// Exclude drops scripts that Include selected, with the same syntax. Nil
	// means releasemap.DefaultExclude(); an empty, non-nil slice excludes nothing.
	Exclude []string

	// DefaultBranch is the branch whose history counts besides the release
	// tags, and whose tip holds the unreleased scripts: a short name
	// ("main") or a full reference ("refs/remotes/origin/main"). Empty means
	// the branch HEAD points at; in a URL clone, the remote's default branch.
	DefaultBranch string

	// AllowEmpty returns a result without releases, without the folder or
	// without scripts instead of an *EmptyError (ErrEmpty). Off by
	// default: an empty map is almost always a wrong tag rule or folder.
	AllowEmpty bool
}

// settings is the validated, normalised form of Options.
type settings struct {
	repo        string
	cacheDir    string
	dir         string   // cleaned, "" for the root
	dirParts    []string // dir split on "/"
	tagMatch    string
	tagPrefix   string
	prereleases bool
	filter      filter
	branch      string
	allowEmpty  bool
}

func (o Options) validate() (settings, error) {
	c := settings{
		repo:        strings.TrimSpace(o.Repo),
		cacheDir:    o.CacheDir,
		tagMatch:    o.TagMatch,
		tagPrefix:   o.TagPrefix,
		prereleases: o.Prereleases,
		branch:      strings.TrimSpace(o.DefaultBranch),
		allowEmpty:  o.AllowEmpty,
	}
	if c.repo == "" {
		return c, fmt.Errorf("%w: repository is required", ErrInvalidOptions)
	}
	if c.cacheDir == "" {
		return c, fmt.Errorf("%w: cache folder is required", ErrInvalidOptions)
	}
	dir, err := cleanDir(o.Dir)
	if err != nil {
		return c, err
	}
	c.dir = dir
	if dir != "" {
		c.dirParts = strings.Split(dir, "/")
	}
	if c.tagMatch != "" && wildmatch.Validate(c.tagMatch) != nil {
		return c, fmt.Errorf("%w: bad tag glob %q", ErrInvalidOptions, c.tagMatch)
	}
	c.filter, err = newFilter(o.Include, o.Exclude)
	if err != nil {
		return c, err
	}
	return c, nil
}

// cleanDir turns a user's folder path into a clean slash path relative to
// the repository root, refusing paths that would leave it.
func cleanDir(dir string) (string, error) {
	d := strings.TrimSpace(dir)
	if strings.HasPrefix(d, "/") {
		return "", fmt.Errorf("%w: folder %q must be relative to the repository root", ErrInvalidOptions, dir)
	}
	d = path.Clean(d)
	if d == "." {
		return "", nil
	}
	if d == ".." || strings.HasPrefix(d, "../") {
		return "", fmt.Errorf("%w: folder %q leaves the repository", ErrInvalidOptions, dir)
	}
	for _, part := range strings.Split(d, "/") {
		if part == ".git" {
			return "", fmt.Errorf("%w: folder %q is inside .git", ErrInvalidOptions, dir)
		}
	}
	return d, nil
}

// filter applies the include and exclude globs to paths relative to Dir.
type filter struct {
	include []string
	exclude []string
}

func newFilter(include, exclude []string) (filter, error) {
	if include == nil {
		include = releasemap.DefaultInclude()
	}
	if exclude == nil {
		exclude = releasemap.DefaultExclude()
	}
	for _, list := range [][]string{include, exclude} {
		for _, p := range list {
			if !doublestar.ValidatePattern(p) {
				return filter{}, fmt.Errorf("%w: bad glob %q", ErrInvalidOptions, p)
			}
		}
	}
	return filter{include: include, exclude: exclude}, nil
}

// match reports whether a path relative to Dir is a script.
func (f filter) match(p string) bool {
	in := false
	for _, g := range f.include {
		if ok, _ := doublestar.Match(g, p); ok {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, g := range f.exclude {
		if ok, _ := doublestar.Match(g, p); ok {
			return false
		}
	}
	return true
}
