package gitscan

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Sentinel errors that callers branch on with errors.Is. Every error Scan and
// ExportTree return that is caused by one of these conditions wraps it.
var (
	// ErrNotRepository means Options.Repo names no git repository: neither a
	// work tree (or a folder inside one), nor a bare repository.
	ErrNotRepository = errors.New("not a git repository")

	// ErrIncompleteHistory means the repository is a shallow clone, or an
	// object that the scan needs is missing (see *MissingObjectError).
	// Partial clones are read as long as the objects needed are present.
	ErrIncompleteHistory = errors.New("history is incomplete")

	// ErrInvalidOptions means an option is malformed (a bad glob, a missing
	// cache folder, a folder path that leaves the repository).
	ErrInvalidOptions = errors.New("invalid options")

	// ErrRefNotFound means a branch or tag the caller named does not exist in
	// the repository.
	ErrRefNotFound = errors.New("reference not found")

	// ErrEmpty means the scan would derive an empty map: no tag is a
	// release, or no release and not the default branch has the folder, or
	// the folder holds no file the include and exclude globs select. The
	// *EmptyError says which and suggests the fix.
	ErrEmpty = errors.New("nothing to map")
)

// ShallowError is a shallow clone: its history ends at a boundary that
// go-git cannot see past. Unwrap gives ErrIncompleteHistory.
type ShallowError struct {
	// Repo is the repository folder; Commits the number of shallow
	// boundary commits.
	Repo    string
	Commits int
}

// Error names the command that completes the clone.
func (e *ShallowError) Error() string {
	return fmt.Sprintf("%s is a shallow clone (%d boundary commits): complete it with `git -C %s fetch --unshallow --tags`",
		e.Repo, e.Commits, shellQuote(e.Repo))
}

// Unwrap makes errors.Is(err, ErrIncompleteHistory) true.
func (e *ShallowError) Unwrap() error { return ErrIncompleteHistory }

// MissingObjectError is an object the scan needs that the repository lacks:
// in a partial clone, one not fetched yet; elsewhere, a cut or damaged
// repository. Unwrap gives ErrIncompleteHistory.
type MissingObjectError struct {
	// Repo is the repository folder.
	Repo string
	// Kind is the object type ("commit", "tree", "blob", "tag").
	Kind string
	// Hash is the missing object's hex id.
	Hash string
	// Path is the repository-relative path the object has ("" for the root
	// tree, a commit or a tag).
	Path string
	// At names the commit or tag whose tree was being read ("" unknown).
	At string
	// Partial is true when the repository is a partial clone.
	Partial bool
}

// Error names the object, its path and the command that fetches it.
func (e *MissingObjectError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	if e.Kind == "tree" || e.Kind == "blob" {
		p := e.Path
		if p == "" {
			p = "/"
		}
		fmt.Fprintf(&b, " of %s", p)
	}
	if e.At != "" {
		fmt.Fprintf(&b, " at %s", e.At)
	}
	fmt.Fprintf(&b, " (%s) is missing", e.Hash)
	repo := shellQuote(e.Repo)
	if e.Partial {
		fmt.Fprintf(&b, " from this partial clone: fetch it with `git -C %s cat-file -e %s` (git fetches a partial clone's missing objects on demand)",
			repo, e.Hash)
	} else {
		fmt.Fprintf(&b, ": fetch full history with `git -C %s fetch --tags origin`", repo)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrIncompleteHistory) true.
func (e *MissingObjectError) Unwrap() error { return ErrIncompleteHistory }

// EmptyError is a scan that found nothing to map, with what would fix it.
// Unwrap gives ErrEmpty.
type EmptyError struct {
	// Reason says what is empty.
	Reason string
	// Suggestions are flags or commands that would find something.
	Suggestions []string
}

// Error renders the reason and the suggestions on one line.
func (e *EmptyError) Error() string {
	if len(e.Suggestions) == 0 {
		return e.Reason
	}
	return e.Reason + "; try " + strings.Join(e.Suggestions, ", or ")
}

// Unwrap makes errors.Is(err, ErrEmpty) true.
func (e *EmptyError) Unwrap() error { return ErrEmpty }

// annotate fills in the path and the commit or tag of a *MissingObjectError
// that does not have them yet; other errors come back unchanged.
func annotate(err error, dir, at string) error {
	var me *MissingObjectError
	if errors.As(err, &me) {
		if me.Path == "" && dir != "" {
			me.Path = dir
		}
		if me.At == "" {
			me.At = at
		}
	}
	return err
}

// joinPath joins repository-relative path parts, ignoring empty ones.
func joinPath(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			keep = append(keep, p)
		}
	}
	return path.Join(keep...)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
