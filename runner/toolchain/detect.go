package toolchain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Source names where a requirement was read: a slash path relative to the
// checkout root, with a 1-based line for line files or a field for
// package.json. An empty File means the caller (a map override) said it.
type Source struct {
	File  string
	Line  int
	Field string
}

// String is "file:line", "file: field" or "file", the prefix of every error
// and reason that concerns the requirement.
func (s Source) String() string {
	switch {
	case s.File == "":
		return "override"
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.Field != "":
		return s.File + ": " + s.Field
	}
	return s.File
}

// Needs is what a checkout asks of its toolchain: every constraint on the
// node version, nearest first, and the package manager, if it names one.
type Needs struct {
	// Node holds the nearest version file (.nvmrc, else .node-version) and
	// every engines.node from the working folder up to the checkout root; a
	// node must satisfy all of them.
	Node []NodeSpec
	// PackageManager is the nearest packageManager field, or nil.
	PackageManager *PackageManager
}

// Detect reads the toolchain requirements of the checkout at root, looking
// in cwd (a slash path inside root, "" for root itself) first and then in
// each parent folder up to root. A missing file is not an error; a file
// that cannot be read or parsed is, and the error names it.
func Detect(root, cwd string) (Needs, error) {
	dirs, err := searchDirs(cwd)
	if err != nil {
		return Needs{}, err
	}
	var n Needs
	pinned := false
	for _, dir := range dirs {
		if !pinned {
			for _, name := range []string{".nvmrc", ".node-version"} {
				rel := path.Join(dir, name)
				data, err := readOptional(root, rel)
				if err != nil {
					return Needs{}, err
				}
				if data == nil {
					continue
				}
				spec, found, err := ParseVersionFile(rel, data)
				if err != nil {
					return Needs{}, err
				}
				if found {
					n.Node = append(n.Node, spec)
					pinned = true
					break
				}
			}
		}
		rel := path.Join(dir, "package.json")
		data, err := readOptional(root, rel)
		if err != nil {
			return Needs{}, err
		}
		if data == nil {
			continue
		}
		engines, pm, err := ParsePackageJSON(rel, data)
		if err != nil {
			return Needs{}, err
		}
		if engines != nil {
			n.Node = append(n.Node, *engines)
		}
		if pm != nil && n.PackageManager == nil {
			n.PackageManager = pm
		}
	}
	return n, nil
}

// searchDirs lists cwd and its parents up to ".", nearest first.
func searchDirs(cwd string) ([]string, error) {
	rel := path.Clean(filepath.ToSlash(cwd))
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("cwd %q: not a folder inside the checkout", cwd)
	}
	var dirs []string
	for rel != "." {
		dirs = append(dirs, rel)
		rel = path.Dir(rel)
	}
	return append(dirs, "."), nil
}

// readOptional reads root/rel, returning nil data when it does not exist.
func readOptional(root, rel string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path.Clean(rel), err)
	}
	return data, nil
}

// ParseVersionFile reads an .nvmrc or .node-version file named file (used
// in errors): the first line that is neither blank nor a # comment is the
// version. found is false for a file with no such line. A second version
// line is an error, since it is not clear which one is meant.
func ParseVersionFile(file string, data []byte) (spec NodeSpec, found bool, err error) {
	for i, line := range strings.Split(string(data), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		src := Source{File: file, Line: i + 1}
		if found {
			return NodeSpec{}, false, fmt.Errorf("%s: a second version %q (the file names %q already)", src, line, spec.Raw)
		}
		spec, err = ParseNodeSpec(line, src)
		if err != nil {
			return NodeSpec{}, false, err
		}
		found = true
	}
	return spec, found, nil
}

// packageJSON is the part of package.json that concerns the toolchain.
type packageJSON struct {
	Engines        json.RawMessage `json:"engines"`
	PackageManager json.RawMessage `json:"packageManager"`
}

// ParsePackageJSON reads engines.node and packageManager from a package.json
// named file (used in errors). Either result is nil when the field is
// absent; an engines that is not an object (an old npm form) is ignored.
func ParsePackageJSON(file string, data []byte) (*NodeSpec, *PackageManager, error) {
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	var spec *NodeSpec
	var engines map[string]json.RawMessage
	if len(p.Engines) > 0 && json.Unmarshal(p.Engines, &engines) == nil && engines["node"] != nil {
		src := Source{File: file, Field: "engines.node"}
		var raw string
		if err := json.Unmarshal(engines["node"], &raw); err != nil {
			return nil, nil, fmt.Errorf("%s: not a string", src)
		}
		s, err := parseRange(raw, src)
		if err != nil {
			return nil, nil, err
		}
		spec = &s
	}
	var pm *PackageManager
	if len(p.PackageManager) > 0 && string(p.PackageManager) != "null" {
		src := Source{File: file, Field: "packageManager"}
		var raw string
		if err := json.Unmarshal(p.PackageManager, &raw); err != nil {
			return nil, nil, fmt.Errorf("%s: not a string", src)
		}
		m, err := ParsePackageManager(raw, src)
		if err != nil {
			return nil, nil, err
		}
		pm = &m
	}
	return spec, pm, nil
}
