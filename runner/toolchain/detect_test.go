package toolchain_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/relmig/relmig/runner/toolchain"
)

// writeTree writes files (slash path → content) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		cwd   string
		node  []string // "source raw" of each requirement, nearest first
		pm    string   // "source name@version"
		err   string
	}{
		{name: "nothing", files: map[string]string{"README": "x"}},
		{
			name: "novu v0.18.0: root .nvmrc, engines and packageManager, run from apps/api",
			files: map[string]string{
				".nvmrc":                "16.15.1\n",
				"package.json":          `{"engines":{"node":">=16.15.1 <20"},"packageManager":"pnpm@7.33.4"}`,
				"apps/api/package.json": `{"name":"@novu/api"}`,
			},
			cwd:  "apps/api",
			node: []string{".nvmrc:1 16.15.1", "package.json: engines.node >=16.15.1 <20"},
			pm:   "package.json: packageManager pnpm@7.33.4",
		},
		{
			name: "nearest version file wins, every engines counts",
			files: map[string]string{
				".nvmrc":                 "20\n",
				"package.json":           `{"engines":{"node":">=18"}}`,
				"apps/api/.node-version": "v18.19.0",
				"apps/api/package.json":  `{"engines":{"node":"^18"},"packageManager":"pnpm@8.9.0"}`,
			},
			cwd:  "apps/api",
			node: []string{"apps/api/.node-version:1 v18.19.0", "apps/api/package.json: engines.node ^18", "package.json: engines.node >=18"},
			pm:   "apps/api/package.json: packageManager pnpm@8.9.0",
		},
		{
			name:  ".nvmrc before .node-version in one folder, comments and blank lines skipped",
			files: map[string]string{".nvmrc": "# the node we use\n\n  lts/gallium  # 16\n", ".node-version": "20"},
			node:  []string{".nvmrc:3 lts/gallium"},
		},
		{
			name:  "packageManager with a hash",
			files: map[string]string{"package.json": `{"packageManager":"pnpm@9.11.0+sha512.0a203ffaed5a3f63242cd064c8fb5892366c103e328079318f78062f24ea8c9d50bc6a47aa3567cabefd824d170e78fa2745ed1f16b132e16436146b7688f19b"}`},
			pm:    "package.json: packageManager pnpm@9.11.0",
		},
		{name: "empty .nvmrc is no requirement", files: map[string]string{".nvmrc": "\n# none\n"}},
		{name: "engines as an array (old npm) is ignored", files: map[string]string{"package.json": `{"engines":["node >= 0.6"]}`}},
		{name: "cwd outside the checkout", files: map[string]string{}, cwd: "../elsewhere", err: `cwd "../elsewhere": not a folder inside the checkout`},
		{name: "absolute cwd", files: map[string]string{}, cwd: "/etc", err: "not a folder inside the checkout"},
		{name: "two versions in .nvmrc", files: map[string]string{".nvmrc": "16\n18\n"}, err: `.nvmrc:2: a second version "18"`},
		{name: "bad version", files: map[string]string{"apps/.node-version": "sixteen"}, cwd: "apps", err: `apps/.node-version:1: "sixteen" is not a version or range`},
		{name: "lts/*", files: map[string]string{".nvmrc": "lts/*"}, err: `.nvmrc:1: "lts/*" names the newest LTS line`},
		{name: "bad JSON names the file", files: map[string]string{"apps/api/package.json": `{"engines":`}, cwd: "apps/api", err: "apps/api/package.json: unexpected end of JSON input"},
		{name: "bad engines.node", files: map[string]string{"package.json": `{"engines":{"node":">=sixteen"}}`}, err: `package.json: engines.node: ">=sixteen" is not a version or range`},
		{name: "engines.node not a string", files: map[string]string{"package.json": `{"engines":{"node":16}}`}, err: "package.json: engines.node: not a string"},
		{name: "packageManager range", files: map[string]string{"package.json": `{"packageManager":"pnpm@^9"}`}, err: `package.json: packageManager: "pnpm@^9": "^9" is not an exact version`},
		{name: "packageManager unknown", files: map[string]string{"package.json": `{"packageManager":"bun@1.1.0"}`}, err: `unsupported package manager "bun"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			n, err := toolchain.Detect(root, tt.cwd)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range n.Node {
				got = append(got, s.String())
			}
			if strings.Join(got, "|") != strings.Join(tt.node, "|") {
				t.Errorf("node = %q, want %q", got, tt.node)
			}
			pm := ""
			if n.PackageManager != nil {
				pm = n.PackageManager.Source.String() + " " + n.PackageManager.String()
			}
			if pm != tt.pm {
				t.Errorf("packageManager = %q, want %q", pm, tt.pm)
			}
		})
	}
}

func TestParseNodeSpec(t *testing.T) {
	tests := []struct {
		raw      string
		allow    []string
		deny     []string
		pathOnly bool
		err      string
	}{
		{raw: "16.15.1", allow: []string{"16.15.1"}, deny: []string{"16.15.2", "16.20.0", "20.20.2"}},
		{raw: "v16.15.1", allow: []string{"16.15.1"}, deny: []string{"16.16.0"}},
		{raw: "16", allow: []string{"16.0.0", "16.15.1", "16.20.2"}, deny: []string{"15.9.0", "17.0.0", "20.20.2"}},
		{raw: "v16", allow: []string{"16.20.2"}, deny: []string{"18.0.0"}},
		{raw: "16.15", allow: []string{"16.15.0", "16.15.1"}, deny: []string{"16.16.0"}},
		{raw: "20.x", allow: []string{"20.20.2"}, deny: []string{"21.0.0"}},
		{raw: ">=16.15.1 <20", allow: []string{"16.15.1", "18.20.0"}, deny: []string{"16.15.0", "20.0.0"}},
		{raw: "^18.12 || >=20", allow: []string{"18.12.0", "22.1.0"}, deny: []string{"16.20.2", "19.0.0"}},
		{raw: "lts/gallium", allow: []string{"16.20.2"}, deny: []string{"18.0.0"}},
		{raw: "lts/Hydrogen", allow: []string{"18.19.0"}, deny: []string{"16.20.2"}},
		{raw: "node", allow: []string{"0.10.48", "24.1.0"}},
		{raw: "stable", allow: []string{"20.20.2"}},
		{raw: "system", allow: []string{"20.20.2"}, pathOnly: true},
		{raw: "16.15.1-rc.1", allow: []string{"16.15.1-rc.1"}, deny: []string{"16.15.1"}},
		{raw: "lts/*", err: "names the newest LTS line"},
		{raw: "lts/-1", err: "names the newest LTS line"},
		{raw: "lts/unobtainium", err: "unknown LTS codename"},
		{raw: "iojs-3", err: "io.js is not available"},
		{raw: "sixteen", err: "is not a version or range"},
		{raw: "", err: "empty version"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			s, err := toolchain.ParseNodeSpec(tt.raw, toolchain.Source{File: ".nvmrc", Line: 1})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), ".nvmrc:1: ") {
					t.Fatalf("err = %v, want .nvmrc:1: …%q…", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tt.allow {
				if !s.Allows(semver.MustParse(v)) {
					t.Errorf("%q does not allow %s", tt.raw, v)
				}
			}
			for _, v := range tt.deny {
				if s.Allows(semver.MustParse(v)) {
					t.Errorf("%q allows %s", tt.raw, v)
				}
			}
			if s.PathOnly != tt.pathOnly {
				t.Errorf("PathOnly = %v", s.PathOnly)
			}
		})
	}
}

func TestParsePackageManager(t *testing.T) {
	hex512 := strings.Repeat("ab", 64)
	tests := []struct {
		raw, name, version, algo, err string
	}{
		{raw: "pnpm@7.33.4", name: "pnpm", version: "7.33.4"},
		{raw: "pnpm@9.11.0+sha512." + hex512, name: "pnpm", version: "9.11.0", algo: "sha512"},
		{raw: "yarn@1.22.19+sha1." + strings.Repeat("0f", 20), name: "yarn", version: "1.22.19", algo: "sha1"},
		{raw: "yarn@4.5.0", name: "yarn", version: "4.5.0"},
		{raw: "npm@10.8.2", name: "npm", version: "10.8.2"},
		{raw: "pnpm@9.0.0-rc.1", name: "pnpm", version: "9.0.0-rc.1"},
		{raw: "pnpm", err: "is not name@version"},
		{raw: "@9.0.0", err: "is not name@version"},
		{raw: "pnpm@9", err: "is not an exact version"},
		{raw: "pnpm@v9.0.0", err: "is not an exact version"},
		{raw: "pnpm@latest", err: "is not an exact version"},
		{raw: "pnpm@9.11.0+sha512.abc", err: "is not a hash"},
		{raw: "pnpm@9.11.0+md5." + strings.Repeat("00", 16), err: "is not a hash"},
		{raw: "yarn@https://example.com/yarn.js", err: "is not an exact version"},
		{raw: "deno@2.0.0", err: "unsupported package manager"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			pm, err := toolchain.ParsePackageManager(tt.raw, toolchain.Source{File: "package.json", Field: "packageManager"})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "package.json: packageManager: ") {
					t.Fatalf("err = %v, want package.json: packageManager: …%q…", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pm.Name != tt.name || pm.Version.String() != tt.version || pm.HashAlgo != tt.algo {
				t.Errorf("got %s %s %s", pm.Name, pm.Version, pm.HashAlgo)
			}
		})
	}
}
