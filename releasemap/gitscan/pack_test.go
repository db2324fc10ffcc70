package gitscan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// The pack reader returns every object of a repository exactly as git
// does, for packs with offset deltas and with reference deltas, and
// agrees with go-git's reader.
func TestPackReaderMatchesGit(t *testing.T) {
	for _, ofs := range []string{"true", "false"} {
		t.Run("deltaBaseOffset="+ofs, func(t *testing.T) {
			r := buildFixture(t)
			// Many versions of one file make long delta chains.
			for i := range 40 {
				r.Commit(day(30+i), "edit", map[string]string{"apps/api/src/app.ts": strings.Repeat(fmt.Sprintf("line %d\n", i), 50+i)})
			}
			r.Git("", "-c", "repack.useDeltaBaseOffset="+ofs, "-c", "pack.depth=20", "repack", "-adfq", "--window=50")
			repo, err := openLocal(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			if len(repo.packs.packs) != 1 {
				t.Fatalf("%d packs, want 1", len(repo.packs.packs))
			}
			list := r.Git("", "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
			n := 0
			for _, line := range strings.Split(list, "\n") {
				f := strings.Fields(line)
				cmd := exec.Command("git", "cat-file", f[1], f[0])
				cmd.Dir = r.Dir
				want, err := cmd.Output()
				if err != nil {
					t.Fatal(err)
				}
				gotType, data, ok, err := repo.pr.read(plumbing.NewHash(f[0]), wholeObject)
				if err != nil || !ok {
					t.Fatalf("%s: ok %v, err %v", f[0], ok, err)
				}
				if gotType.String() != f[1] || !bytes.Equal(data, want) {
					t.Fatalf("%s: %s of %d bytes, want %s of %d", f[0], gotType, len(data), f[1], len(want))
				}
				obj, err := repo.st.EncodedObject(plumbing.AnyObject, plumbing.NewHash(f[0]))
				if err != nil {
					t.Fatal(err)
				}
				if b, err := objectBytes(obj); err != nil || !bytes.Equal(b, data) {
					t.Fatalf("%s: go-git disagrees", f[0])
				}
				if f[1] == "commit" {
					// Headers only: a prefix with the same parsed facts
					// (the time too, through the committer line).
					a, err := parseCommit(data)
					if err != nil {
						t.Fatal(err)
					}
					for _, part := range []commitPart{throughCommitter, throughParents} {
						_, head, _, err := repo.pr.read(plumbing.NewHash(f[0]), part)
						if err != nil || !bytes.HasPrefix(data, head) {
							t.Fatalf("%s: part %d read %q, err %v", f[0], part, head, err)
						}
						b, err := parseCommit(head)
						want := a
						if part == throughParents {
							want.when, want.tz = 0, 0
						}
						if err != nil || fmt.Sprint(b) != fmt.Sprint(want) {
							t.Fatalf("%s: part %d parses as %+v, the commit as %+v", f[0], part, b, a)
						}
					}
				}
				n++
			}
			if n < 100 {
				t.Errorf("only %d objects compared", n)
			}
		})
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("hello world"), []byte{11, 5, 0x91, 0, 5})
	f.Add([]byte(""), []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err == nil && out == nil && len(delta) > 0 {
			t.Fatal("nil result without error")
		}
	})
}

// search finds every name of an index, and the place of every name it
// lacks, as a binary search does, however the names are spread.
func TestPackIndexSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 9, 100, 5000} {
		for _, spread := range []string{"uniform", "clustered"} {
			names := make([]plumbing.Hash, n)
			for i := range names {
				for j := range names[i] {
					names[i][j] = byte(rng.Uint32())
				}
				if spread == "clustered" {
					// Names that share bytes defeat the interpolation.
					names[i][0], names[i][1], names[i][2] = 7, 7, byte(i%3)
				}
			}
			slices.SortFunc(names, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
			p := &packIndex{}
			for _, h := range names {
				p.names = append(p.names, h[:]...)
			}
			probes := append([]plumbing.Hash(nil), names...)
			for range 200 {
				var h plumbing.Hash
				for j := range h {
					h[j] = byte(rng.Uint32())
				}
				probes = append(probes, h)
				if n > 0 {
					h = names[rng.IntN(n)]
					h[19]++
					probes = append(probes, h)
				}
			}
			for _, h := range probes {
				want := sort.Search(n, func(i int) bool { return bytes.Compare(names[i][:], h[:]) >= 0 })
				if got := p.search(h, 0, n); got != want {
					t.Fatalf("%d %s names, %s: position %d, want %d", n, spread, h, got, want)
				}
			}
		}
	}
}
