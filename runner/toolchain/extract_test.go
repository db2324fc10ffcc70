package toolchain

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractRefuses: entries that would land outside the package, and
// links, are refused, and nothing is written outside dest.
func TestExtractRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		hdr  tar.Header
		err  string
	}{
		{"parent", tar.Header{Name: "package/../../evil", Typeflag: tar.TypeReg, Mode: 0o644}, "is outside the package"},
		{"dotdot", tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}, "is outside the package"},
		{"symlink", tar.Header{Name: "package/bin/node", Typeflag: tar.TypeSymlink, Linkname: "/bin/sh"}, "is not supported"},
		{"hardlink", tar.Header{Name: "package/bin/node", Typeflag: tar.TypeLink, Linkname: "package/x"}, "is not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tgz := filepath.Join(dir, "p.tgz")
			f, err := os.Create(tgz)
			if err != nil {
				t.Fatal(err)
			}
			zw := gzip.NewWriter(f)
			tw := tar.NewWriter(zw)
			if err := tw.WriteHeader(&tt.hdr); err != nil {
				t.Fatal(err)
			}
			for _, c := range []interface{ Close() error }{tw, zw, f} {
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
			dest := filepath.Join(dir, "a", "b", "package")
			if err := extract(tgz, dest); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if _, err := os.Stat(filepath.Join(dir, "a", "evil")); err == nil {
				t.Fatal("wrote outside the package")
			}
		})
	}
}

// TestLinkBinsRefuses: a bin that points outside the package is refused.
func TestLinkBinsRefuses(t *testing.T) {
	for _, bins := range []map[string]string{{"node": "../../bin/sh"}, {"../node": "bin/node"}, {"node": "/bin/sh"}} {
		if err := linkBins(t.TempDir(), bins); err == nil || !strings.Contains(err.Error(), "is not a file inside the package") {
			t.Errorf("%v: err = %v", bins, err)
		}
	}
}
