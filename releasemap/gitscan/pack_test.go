package gitscan

import (
	"bytes"
	"fmt"
	"os/exec"
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
