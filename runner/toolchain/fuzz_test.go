package toolchain_test

import (
	"strings"
	"testing"

	"github.com/relmig/relmig/runner/toolchain"
)

// FuzzParseVersionFile: any .nvmrc content either parses, to a
// requirement that names its line and re-parses the same from its raw
// value, or fails with an error naming the file; it never panics.
func FuzzParseVersionFile(f *testing.F) {
	for _, seed := range []string{
		"16.15.1\n", "v16\n", "lts/*", "lts/gallium # 16\n", "\n\n# c\n20.x\n", ">=16 <18 || ^20",
		"node", "system", "16\n18\n", "16.15.1-rc.1+build.5", "\xff", "#", "v", "1.2.3 - 2.3.4", "=v1", "~16.1",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, found, err := toolchain.ParseVersionFile(".nvmrc", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), ".nvmrc:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not start with .nvmrc: or spans lines", err)
			}
			return
		}
		if !found {
			return
		}
		if spec.Range == nil || spec.Source.Line < 1 {
			t.Fatalf("spec %+v", spec)
		}
		again, err := toolchain.ParseNodeSpec(spec.Raw, spec.Source)
		if err != nil || again.Range.String() != spec.Range.String() || again.PathOnly != spec.PathOnly {
			t.Fatalf("%q re-parses as %v, %v", spec.Raw, again, err)
		}
	})
}

// FuzzParsePackageJSON: any package.json content parses or fails with an
// error naming the file; a packageManager that parses prints as
// name@version and re-parses to the same.
func FuzzParsePackageJSON(f *testing.F) {
	for _, seed := range []string{
		`{"engines":{"node":">=16.15.1 <20"},"packageManager":"pnpm@7.33.4"}`,
		`{"packageManager":"pnpm@9.11.0+sha512.` + strings.Repeat("0a", 64) + `"}`,
		`{"packageManager":"yarn@1.22.19"}`, `{"engines":["node >= 0.6"]}`, `{"engines":{"node":16}}`,
		`{"packageManager":"npm@"}`, `{"packageManager":null}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		node, pm, err := toolchain.ParsePackageJSON("apps/api/package.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "apps/api/package.json") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name the file or spans lines", err)
			}
			return
		}
		if node != nil && node.Range == nil {
			t.Fatalf("engines.node %+v has no range", node)
		}
		if pm != nil {
			again, err := toolchain.ParsePackageManager(pm.String(), pm.Source)
			if err != nil || again.String() != pm.String() {
				t.Fatalf("%s re-parses as %v, %v", pm, again, err)
			}
		}
	})
}
