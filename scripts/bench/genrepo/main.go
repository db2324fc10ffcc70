// Command genrepo writes a synthetic application repository for relmig's
// map-build benchmark, in seconds, by streaming history into git
// fast-import: a main line with feature branches merged (some dated before
// the release they miss), maintenance lines with patch releases whose
// back-ported scripts are later cherry-picked into main, scripts edited,
// renamed and deleted after release, spec files beside scripts, lightweight
// and annotated release tags, and a few tags that are not releases.
//
//	genrepo -out DIR [-commits 20000] [-releases 300] [-scripts 200] [-seed 1] [-gc=true]
//	genrepo -out DIR -shape monorepo
//
// -shape monorepo makes it look like a real monorepo instead (SPEC §7 "map
// build on real shapes"): 30,000 commits over a tree of 6,000 files, the
// migrations folder seven levels deep, 3,000 extra refs (branches and
// pull-request refs), no commit-graph, and a pack with long delta chains.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
)

// Migrations folders: the default shape's, and the monorepo's.
const (
	migDir     = "apps/api/migrations"
	deepMigDir = "apps/platform/services/api/src/database/migrations"
)

// shape is what a generated repository looks like.
type shape struct {
	commits, releases, scripts int
	files                      int    // application files in the first commit (0: a handful of folders)
	migDir                     string // the migrations folder
	refs                       int    // extra branches and pull-request refs
	commitGraph                bool   // keep the commit-graph git gc writes
	depth                      int    // delta chain depth of the final repack (0: git gc's)
}

func main() {
	out := flag.String("out", "", "repository folder to create (must not exist)")
	commits := flag.Int("commits", 20000, "number of commits")
	releases := flag.Int("releases", 300, "number of release tags (main and maintenance)")
	scripts := flag.Int("scripts", 200, "number of migration scripts")
	seed := flag.Uint64("seed", 1, "random seed")
	gc := flag.Bool("gc", true, "run git gc afterwards (repacks and writes the commit-graph, as real clones have)")
	shapeName := flag.String("shape", "", `"monorepo": a real monorepo's shape (overrides -commits)`)
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genrepo: -out is required")
		os.Exit(2)
	}
	sh := shape{commits: *commits, releases: *releases, scripts: *scripts, migDir: migDir, commitGraph: true}
	switch *shapeName {
	case "":
	case "monorepo":
		sh = shape{commits: 30000, releases: *releases, scripts: *scripts, files: 6000, migDir: deepMigDir, refs: 3000, depth: 100}
	default:
		fmt.Fprintf(os.Stderr, "genrepo: -shape %q: want monorepo\n", *shapeName)
		os.Exit(2)
	}
	if err := run(*out, sh, *seed, *gc); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

func run(out string, sh shape, seed uint64, gc bool) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s already exists", out)
	}
	if err := gitCmd("", "init", "-q", "-b", "main", out).Run(); err != nil {
		return fmt.Errorf("git init: %w", err)
	}
	cmd := gitCmd(out, "fast-import", "--quiet", "--done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start git fast-import: %w", err)
	}
	g := newGen(stdin, sh, seed)
	genErr := g.history()
	closeErr := stdin.Close()
	waitErr := cmd.Wait()
	if genErr != nil || closeErr != nil || waitErr != nil {
		return fmt.Errorf("fast-import: %v %v %v", genErr, closeErr, waitErr)
	}
	if err := gitCmd(out, "checkout", "-q", "main").Run(); err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	if gc {
		args := []string{"gc", "-q"}
		if !sh.commitGraph {
			args = []string{"-c", "gc.writeCommitGraph=false", "gc", "-q"}
		}
		if err := gitCmd(out, args...).Run(); err != nil {
			return fmt.Errorf("git gc: %w", err)
		}
		if sh.depth > 0 {
			if err := gitCmd(out, "repack", "-adfq", fmt.Sprintf("--depth=%d", sh.depth), "--window=20").Run(); err != nil {
				return fmt.Errorf("git repack: %w", err)
			}
		}
		if !sh.commitGraph {
			_ = os.Remove(out + "/.git/objects/info/commit-graph")
			_ = os.RemoveAll(out + "/.git/objects/info/commit-graphs")
		}
	}
	fmt.Printf("genrepo: %s: %d commits, %d release tags (%d annotated), %d scripts in %s, %d merges, %d maintenance lines, %d files, %d extra refs\n",
		out, g.ncommits, g.nreleases, g.nannotated, g.nextScript, sh.migDir, g.nmerges, g.nmaint, len(g.files), sh.refs)
	return nil
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	if dir != "" {
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

// change is one file operation of a commit: content "" deletes the path.
type change struct {
	path, content string
}

// gen writes the fast-import stream.
type gen struct {
	w   *bufio.Writer
	rnd *rand.Rand

	totalCommits, totalReleases, totalScripts int
	sh                                        shape
	files                                     []string // the monorepo's application files

	mark  int
	clock int64

	main     int // mark of main's tip
	feature  int // mark of the open feature branch's tip, 0 when none
	featChgs []change
	pending  []change // back-ported scripts main has yet to cherry-pick

	scripts    []string          // live script paths on main
	body       map[string]string // their content on main
	nextScript int
	ncommits   int
	nreleases  int
	nannotated int
	nmerges    int
	nmaint     int
}

func newGen(w io.Writer, sh shape, seed uint64) *gen {
	return &gen{
		w:   bufio.NewWriterSize(w, 1<<20),
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),

		totalCommits: sh.commits, totalReleases: sh.releases, totalScripts: sh.scripts, sh: sh,
		clock: 1577836800, // 2020-01-01
		body:  map[string]string{},
	}
}

// srcPath picks an application file: most commits touch code outside the
// migrations folder, in several top-level folders, as real ones do.
func (g *gen) srcPath() string {
	if len(g.files) > 0 {
		return g.files[g.rnd.IntN(len(g.files))]
	}
	n := g.rnd.IntN(100)
	f := g.rnd.IntN(12)
	switch {
	case n < 40:
		return fmt.Sprintf("apps/api/src/module%02d/file%d.ts", g.rnd.IntN(40), f)
	case n < 70:
		return fmt.Sprintf("apps/web/src/page%02d/view%d.tsx", g.rnd.IntN(30), f)
	case n < 90:
		return fmt.Sprintf("packages/lib%02d/src/index%d.ts", g.rnd.IntN(20), f)
	default:
		return fmt.Sprintf("docs/guide%02d.md", g.rnd.IntN(30))
	}
}

// srcContent is 40 lines of which one changes per revision, so packs
// delta-compress the way real edits do.
func (g *gen) srcContent(path string) string {
	var b strings.Builder
	changed := g.ncommits % 40
	for i := range 40 {
		if i == changed {
			fmt.Fprintf(&b, "export const rev%d = %d; // %s\n", i, g.ncommits, path)
		} else {
			fmt.Fprintf(&b, "export const line%d = %q;\n", i, path)
		}
	}
	return b.String()
}

// newScript returns the path and content of the next migration script: flat
// or nested layouts, sometimes with a spec file beside it.
func (g *gen) newScript() []change {
	i := g.nextScript
	g.nextScript++
	name := fmt.Sprintf("%03d-change-%d", i, i*7919%1000)
	var p string
	switch i % 3 {
	case 0:
		p = fmt.Sprintf("%s/%s.migration.ts", g.sh.migDir, name)
	case 1:
		p = fmt.Sprintf("%s/%s/%s.migration.ts", g.sh.migDir, name, name)
	default:
		p = fmt.Sprintf("%s/%s-migration.ts", g.sh.migDir, name)
	}
	var body strings.Builder
	fmt.Fprintf(&body, "// migration %d\nimport { db } from '../db';\n\nexport async function run() {\n", i)
	for j := range 10 + i%20 {
		fmt.Fprintf(&body, "  await db.collection('c%d').updateMany({}, { $set: { f%d: %d } });\n", i, j, j)
	}
	body.WriteString("}\n")
	chs := []change{{p, body.String()}}
	if i%5 == 0 {
		chs = append(chs, change{strings.TrimSuffix(p, ".ts") + ".spec.ts", "test\n"})
	}
	return chs
}

// addScript records a script main has (or will have, for a back-port).
func (g *gen) addScript(c change) {
	g.scripts = append(g.scripts, c.path)
	g.body[c.path] = c.content
}

func (g *gen) commit(branch string, from int, merge int, msg string, chs []change) int {
	g.mark++
	g.ncommits++
	g.clock += 1800 + int64(g.rnd.IntN(3600))
	fmt.Fprintf(g.w, "commit refs/heads/%s\nmark :%d\n", branch, g.mark)
	fmt.Fprintf(g.w, "author Dev <dev@example.com> %d +0000\ncommitter Dev <dev@example.com> %d +0000\n", g.clock, g.clock)
	fmt.Fprintf(g.w, "data %d\n%s\n", len(msg), msg)
	if from != 0 {
		fmt.Fprintf(g.w, "from :%d\n", from)
	}
	if merge != 0 {
		fmt.Fprintf(g.w, "merge :%d\n", merge)
	}
	for _, c := range chs {
		if c.content == "" {
			fmt.Fprintf(g.w, "D %s\n", c.path)
			continue
		}
		fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n%s\n", c.path, len(c.content), c.content)
	}
	g.w.WriteString("\n")
	return g.mark
}

func (g *gen) tag(name string, mark int, annotated bool) {
	if annotated {
		g.nannotated++
		msg := "release " + name
		fmt.Fprintf(g.w, "tag %s\nfrom :%d\ntagger Rel <rel@example.com> %d +0000\ndata %d\n%s\n", name, mark, g.clock+600, len(msg), msg)
		return
	}
	fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", name, mark)
}

func (g *gen) release(name string, mark int) {
	g.nreleases++
	g.tag(name, mark, g.rnd.IntN(2) == 0)
}

// mainCommit makes one commit on main: application code, and sometimes a
// script added, edited, renamed or deleted, or a back-port cherry-picked.
func (g *gen) mainCommit(scriptDue bool) {
	chs := []change{{g.srcPath(), ""}}
	chs[0].content = g.srcContent(chs[0].path)
	switch {
	case scriptDue:
		s := g.newScript()
		g.addScript(s[0])
		chs = append(chs, s...)
	case len(g.pending) > 0 && g.rnd.IntN(20) == 0:
		chs = append(chs, g.pending[0])
		g.pending = g.pending[1:]
	case len(g.scripts) > 10 && g.rnd.IntN(300) == 0:
		// Edit a released script (real ones are edited after release).
		p := g.scripts[g.rnd.IntN(len(g.scripts))]
		g.body[p] += fmt.Sprintf("// edited at %d\n", g.ncommits)
		chs = append(chs, change{p, g.body[p]})
	case len(g.scripts) > 10 && g.rnd.IntN(1500) == 0:
		// Rename with unchanged content into an archive folder.
		i := g.rnd.IntN(len(g.scripts))
		p := g.scripts[i]
		if strings.HasPrefix(p, g.sh.migDir+"/archive/") {
			break
		}
		np := g.sh.migDir + "/archive/" + strings.TrimPrefix(p, g.sh.migDir+"/")
		g.scripts[i], g.body[np] = np, g.body[p]
		chs = append(chs, change{p, ""}, change{np, g.body[p]})
	case len(g.scripts) > 10 && g.rnd.IntN(1500) == 0:
		i := g.rnd.IntN(len(g.scripts))
		chs = append(chs, change{g.scripts[i], ""})
		g.scripts = append(g.scripts[:i], g.scripts[i+1:]...)
	}
	g.main = g.commit("main", g.main, 0, "main change", chs)
}

func (g *gen) history() error {
	// Budget: main releases and maintenance releases share the tags; each
	// maintenance line costs a few commits.
	maintReleases := g.totalReleases * 27 / 100 &^ 1
	mainReleases := g.totalReleases - maintReleases
	maintEvery := max(1, mainReleases/max(1, maintReleases/2)) // two patch releases per line
	perCycle := g.totalCommits / mainReleases
	scriptsLeft := g.totalScripts
	initial := []change{{"README.md", "app\n"}}
	for i := range g.sh.files {
		// Deep and wide: 12 apps and packages, folders four levels down.
		p := fmt.Sprintf("%s/%s/src/area%02d/part%02d/file%04d.ts",
			[]string{"apps", "packages", "libs"}[i%3], fmt.Sprintf("unit%02d", i%12), i/12%25, i/300%20, i)
		g.files = append(g.files, p)
		initial = append(initial, change{p, g.srcContent(p)})
	}
	g.main = g.commit("main", 0, 0, "initial", initial)

	for cycle := 0; cycle < mainReleases; cycle++ {
		target := (cycle + 1) * perCycle
		if cycle == mainReleases-1 {
			target = g.totalCommits - 1 // leave one commit for unreleased work
		}
		for g.ncommits < target {
			// Spread scripts evenly; near the end, add whatever is left.
			left := g.totalCommits - g.ncommits
			scriptDue := scriptsLeft > 0 && (g.rnd.IntN(perCycle*mainReleases/max(1, g.totalScripts)+1) == 0 || left <= 3*scriptsLeft)
			if scriptDue {
				scriptsLeft--
			}
			switch {
			case g.feature == 0 && g.rnd.IntN(8) == 0:
				g.featChgs = nil
				g.feature = g.featureCommit(g.main, scriptDue)
			case g.feature != 0 && g.rnd.IntN(4) == 0:
				g.feature = g.featureCommit(g.feature, scriptDue)
			case g.feature != 0 && g.rnd.IntN(6) == 0:
				g.nmerges++
				g.main = g.commit("main", g.main, g.feature, "merge feature", g.featChgs)
				g.feature = 0
				if scriptDue {
					scriptsLeft++
				}
			default:
				g.mainCommit(scriptDue)
			}
		}
		major, minor := cycle/60, cycle%60
		g.release(fmt.Sprintf("v%d.%d.0", major, minor), g.main)
		if cycle%maintEvery == 0 && g.nreleases+2 <= g.totalReleases-(mainReleases-cycle-1) {
			g.maintenance(major, minor, &scriptsLeft)
		}
		if cycle%50 == 25 {
			g.tag(fmt.Sprintf("v%d.%d.0-rc.1", major, minor+1), g.main, true)
			g.tag(fmt.Sprintf("nightly-%d", cycle), g.main, false)
		}
	}
	if g.feature != 0 {
		g.nmerges++
		g.main = g.commit("main", g.main, g.feature, "merge feature", g.featChgs)
	}
	for g.ncommits < g.totalCommits {
		g.mainCommit(scriptsLeft > 0)
		scriptsLeft = max(0, scriptsLeft-1)
	}
	// A stray pre-release tag on an early commit (skipped by default).
	g.tag("v0.0.1-stray", 1, false)
	// Branches and pull-request refs, as a clone of a busy project has.
	for i := range g.sh.refs {
		ref := fmt.Sprintf("refs/pull/%d/head", i+1)
		if i%4 == 0 {
			ref = fmt.Sprintf("refs/heads/topic-%d", i)
		}
		fmt.Fprintf(g.w, "reset %s\nfrom :%d\n\n", ref, 1+g.rnd.IntN(g.mark))
	}
	fmt.Fprintf(g.w, "done\n")
	return g.w.Flush()
}

// featureCommit commits on the feature branch; its changes are replayed in
// the merge commit, since fast-import builds a merge's tree from its first
// parent.
func (g *gen) featureCommit(from int, scriptDue bool) int {
	p := g.srcPath()
	chs := []change{{p, g.srcContent(p)}}
	if scriptDue {
		s := g.newScript()
		g.addScript(s[0])
		chs = append(chs, s...)
	}
	g.featChgs = append(g.featChgs, chs...)
	return g.commit("feature", from, 0, "feature work", chs)
}

// maintenance cuts a line from the release just made: two patch releases,
// the first carrying a back-ported script that main cherry-picks later.
func (g *gen) maintenance(major, minor int, scriptsLeft *int) {
	g.nmaint++
	branch := fmt.Sprintf("release-%d.%d", major, minor)
	tip := g.main
	for patch := 1; patch <= 2; patch++ {
		p := g.srcPath()
		chs := []change{{p, g.srcContent(p)}}
		if patch == 1 && *scriptsLeft > 0 {
			*scriptsLeft--
			s := g.newScript()
			chs = append(chs, s...)
			g.pending = append(g.pending, s[0])
			g.addScript(s[0])
		}
		tip = g.commit(branch, tip, 0, "maintenance fix", chs)
		g.release(fmt.Sprintf("v%d.%d.%d", major, minor, patch), tip)
	}
}
