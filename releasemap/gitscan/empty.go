package gitscan

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relmig/relmig/internal/wildmatch"
)

// versionTail finds a semver version at the end of a tag name; what comes
// before it is the tag's prefix ("release-", "@scope/pkg@", "v").
var versionTail = regexp.MustCompile(`^(.*?)v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// noReleases explains why no tag is a release, suggesting the --prefix,
// --tags or --prereleases that would find some.
func (s *scanner) noReleases(tags []tagRef) error {
	if len(tags) == 0 {
		return &EmptyError{
			Reason:      "the repository has no tags, so no releases",
			Suggestions: []string{fmt.Sprintf("fetching them (`git -C %s fetch --tags`)", shellQuote(s.repo.root))},
		}
	}
	type cand struct {
		prefix string
		n, pre int
	}
	byPrefix := map[string]*cand{}
	for _, t := range tags {
		sub := versionTail.FindStringSubmatch(t.name)
		if sub == nil {
			continue
		}
		prefix := sub[1]
		c := byPrefix[prefix]
		if c == nil {
			c = &cand{prefix: prefix}
			byPrefix[prefix] = c
		}
		c.n++
		if strings.Contains(sub[2], "-") {
			c.pre++
		}
	}
	cands := make([]*cand, 0, len(byPrefix))
	for _, c := range byPrefix {
		cands = append(cands, c)
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].n != cands[j].n {
			return cands[i].n > cands[j].n
		}
		return cands[i].prefix < cands[j].prefix
	})
	examples := make([]string, 0, 3)
	for i := len(tags) - 1; i >= 0 && len(examples) < 3; i-- {
		examples = append(examples, tags[i].name)
	}
	reason := fmt.Sprintf("no tag is a release (%d tags, such as %s", len(tags), strings.Join(examples, ", "))
	if s.cfg.tagMatch != "" {
		reason += fmt.Sprintf("; tags %q", s.cfg.tagMatch)
	}
	if s.cfg.tagPrefix != "" {
		reason += fmt.Sprintf("; prefix %q", s.cfg.tagPrefix)
	}
	reason += ")"
	var sugg []string
	for _, c := range cands {
		if len(sugg) == 2 {
			break
		}
		var flags []string
		if c.prefix != s.cfg.tagPrefix && strings.TrimSuffix(c.prefix, "v") != s.cfg.tagPrefix {
			flags = append(flags, "--prefix "+shellQuote(strings.TrimSuffix(c.prefix, "v")))
		}
		if s.cfg.tagMatch != "" && !anyMatch(s.cfg.tagMatch, tags, c.prefix) {
			flags = append(flags, "--tags "+shellQuote(escapeWild(c.prefix)+"*"))
		}
		if c.pre == c.n && !s.cfg.prereleases {
			flags = append(flags, "--prereleases")
		}
		if len(flags) > 0 {
			sugg = append(sugg, fmt.Sprintf("%s (%d tags)", strings.Join(flags, " "), c.n))
		}
	}
	if len(cands) == 0 {
		sugg = append(sugg, "tagging releases with semver names such as v1.2.3")
	}
	return &EmptyError{Reason: reason, Suggestions: sugg}
}

// anyMatch reports whether glob matches a tag with the given prefix.
func anyMatch(glob string, tags []tagRef, prefix string) bool {
	for _, t := range tags {
		if strings.HasPrefix(t.name, prefix) && wildmatch.Match(glob, t.name) {
			return true
		}
	}
	return false
}

// escapeWild quotes glob metacharacters in a literal prefix.
func escapeWild(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// noFolder explains a migrations folder that no release and not the
// default branch has, naming folders at the tip that look like it.
func (s *scanner) noFolder(rootTree plumbing.Hash) error {
	reason := fmt.Sprintf("no release and not the default branch has the folder %q", s.cfg.dir)
	var sugg []string
	for _, d := range s.similarFolders(rootTree, 3) {
		sugg = append(sugg, "--dir "+shellQuote(d))
	}
	return &EmptyError{Reason: reason, Suggestions: sugg}
}

// similarFolders searches the tree breadth first (a bounded number of
// trees; objects a partial clone lacks are skipped) for folders named like
// the migrations folder, or named "migrations".
func (s *scanner) similarFolders(root plumbing.Hash, limit int) []string {
	if root.IsZero() {
		return nil
	}
	base := path.Base(s.cfg.dir)
	type item struct {
		h    plumbing.Hash
		path string
	}
	queue := []item{{root, ""}}
	var exact, loose []string
	for read := 0; len(queue) > 0 && read < 20000; read++ {
		it := queue[0]
		queue = queue[1:]
		entries, err := s.trees.entries(it.h)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.isTree() || e.name == "node_modules" || strings.HasPrefix(e.name, ".") {
				continue
			}
			p := joinPath(it.path, e.name)
			switch lower := strings.ToLower(e.name); {
			case e.name == base && base != "" && base != ".":
				exact = append(exact, p)
			case strings.Contains(lower, "migration"):
				loose = append(loose, p)
			}
			queue = append(queue, item{e.hash, p})
		}
	}
	// Nearest to what was asked first: the longest common prefix.
	common := func(p string) int {
		n := 0
		for n < len(p) && n < len(s.cfg.dir) && p[n] == s.cfg.dir[n] {
			n++
		}
		return n
	}
	sort.SliceStable(loose, func(i, j int) bool { return common(loose[i]) > common(loose[j]) })
	sort.SliceStable(exact, func(i, j int) bool { return common(exact[i]) > common(exact[j]) })
	out := append(exact, loose...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// noScripts explains a folder that exists but holds no selected script,
// suggesting an --include for the extension most of its files have.
func noScripts(dir string, files []string) error {
	reason := fmt.Sprintf("the folder %q holds no script at any release or the default branch", dir)
	if len(files) == 0 {
		return &EmptyError{Reason: reason + " (it has no files)"}
	}
	count := map[string]int{}
	for _, f := range files {
		if ext := path.Ext(f); ext != "" {
			count[ext]++
		}
	}
	best, n := "", 0
	for ext, c := range count {
		if c > n || c == n && ext < best {
			best, n = ext, c
		}
	}
	reason += fmt.Sprintf(" (%d files, none selected by the include and exclude globs)", len(files))
	var sugg []string
	if best != "" {
		sugg = append(sugg, fmt.Sprintf("--include '**/*%s' (%d files)", best, n))
	}
	return &EmptyError{Reason: reason, Suggestions: sugg}
}
