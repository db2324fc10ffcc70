package toolchain

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// extract unpacks an npm tarball into dest, dropping the first path
// component of every entry (npm's `package/`). Entries that would land
// outside dest, links and device files are refused: npm's own packages
// have none, and a tool in the cache must be exactly what was verified.
func extract(tgz, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("not a gzip file: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tarball: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(filepath.ToSlash(h.Name), "/"))
		if name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("tarball: entry %q is outside the package", h.Name)
		}
		_, rest, ok := strings.Cut(name, "/")
		if !ok {
			if h.Typeflag == tar.TypeDir {
				continue
			}
			rest = name
		}
		if rest == "" || rest == "." || rest == ".." || strings.HasPrefix(rest, "../") {
			return fmt.Errorf("tarball: entry %q is outside the package", h.Name)
		}
		target := filepath.Join(dest, filepath.FromSlash(rest))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeEntry(tr, target, h.FileInfo().Mode().Perm()); err != nil {
				return fmt.Errorf("tarball: %s: %w", h.Name, err)
			}
		case tar.TypeXGlobalHeader:
		default:
			return fmt.Errorf("tarball: entry %q: type %q is not supported", h.Name, h.Typeflag)
		}
	}
}

// writeEntry writes one regular file, readable by all and writable by its
// owner whatever the tarball says (npm normalises modes the same way).
func writeEntry(r io.Reader, target string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	perm = perm&0o755 | 0o644
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// linkBins makes the package's declared executables executable and links
// each from dir/.relmig-bin/<name>, the folder that goes on PATH.
func linkBins(dir string, bins map[string]string) error {
	bin := filepath.Join(dir, binDir)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for name, rel := range bins {
		clean := path.Clean(filepath.ToSlash(rel))
		if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." ||
			path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("bin %q: %q is not a file inside the package", name, rel)
		}
		target := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.Chmod(target, 0o755); err != nil {
			return fmt.Errorf("bin %q: %w", name, err)
		}
		if err := os.Symlink(filepath.Join("..", filepath.FromSlash(clean)), filepath.Join(bin, name)); err != nil {
			return fmt.Errorf("bin %q: %w", name, err)
		}
	}
	return nil
}
