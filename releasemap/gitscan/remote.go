package gitscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
)

// isURL reports whether repo names a remote repository rather than a path:
// scheme://… or the user@host:path form of an SSH URL.
func isURL(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	at := strings.Index(repo, "@")
	colon := strings.Index(repo, ":")
	slash := strings.Index(repo, "/")
	return at > 0 && colon > at+1 && (slash < 0 || colon < slash)
}

// remoteRefSpecs are what a cached clone fetches: branches (as remote
// branches, like a normal clone) and tags, never pull-request or other refs,
// which re-add old files with new dates and only cost transfer.
func remoteRefSpecs() []config.RefSpec {
	return []config.RefSpec{
		"+refs/heads/*:refs/remotes/origin/*",
		"+refs/tags/*:refs/tags/*",
	}
}

// cloneDir is where the clone of url lives inside cacheDir.
func cloneDir(cacheDir, url string) string {
	sum := sha256.Sum256([]byte(url))
	base := strings.TrimSuffix(filepath.Base(strings.TrimRight(url, "/")), ".git")
	base = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, base)
	return filepath.Join(cacheDir, "repos", hex.EncodeToString(sum[:8])+"-"+base)
}

// openRemote opens the cached bare clone of url, cloning it on first use.
// With fetch, an existing clone is brought up to date first (new commits,
// moved and deleted tags).
func openRemote(ctx context.Context, url, cacheDir string, fetch bool) (*repository, error) {
	dir := cloneDir(cacheDir, url)
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		if err := cloneInto(ctx, url, dir); err != nil {
			return nil, err
		}
	} else if fetch {
		if err := fetchInto(ctx, url, dir); err != nil {
			return nil, err
		}
	}
	repo, err := openLocal(dir)
	if err != nil {
		return nil, err
	}
	repo.remote = true
	return repo, nil
}

// cloneInto clones url as a bare repository into dir. It clones into a
// temporary sibling and renames it into place, so an interrupted clone never
// leaves a half-filled cache entry that later runs would trust.
func cloneInto(ctx context.Context, url, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create clone cache: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return fmt.Errorf("create clone cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	_, err = git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{
		URL:  url,
		Tags: git.AllTags,
	})
	if err != nil {
		return fmt.Errorf("clone %s: %w", url, err)
	}
	// A clone fetches only the default branch's refspec mapping; set the
	// refspecs later fetches use.
	if err := setRefSpecs(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "HEAD")); statErr == nil {
			return nil // a concurrent run cloned it first
		}
		return fmt.Errorf("store clone of %s: %w", url, err)
	}
	return fetchInto(ctx, url, dir)
}

// setRefSpecs points the clone's origin at remoteRefSpecs.
func setRefSpecs(dir string) error {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return fmt.Errorf("open clone %s: %w", dir, err)
	}
	cfg, err := r.Config()
	if err != nil {
		return fmt.Errorf("read clone config: %w", err)
	}
	origin, ok := cfg.Remotes["origin"]
	if !ok {
		return fmt.Errorf("clone %s has no origin remote", dir)
	}
	origin.Fetch = remoteRefSpecs()
	if err := r.SetConfig(cfg); err != nil {
		return fmt.Errorf("write clone config: %w", err)
	}
	return nil
}

// fetchInto updates the clone in dir from url: branches, and tags with
// deleted ones pruned.
func fetchInto(ctx context.Context, url, dir string) error {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return fmt.Errorf("open clone %s: %w", dir, err)
	}
	err = r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RemoteURL:  url,
		RefSpecs:   remoteRefSpecs(),
		Tags:       git.AllTags,
		Force:      true,
		Prune:      true,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	return nil
}
