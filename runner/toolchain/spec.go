package toolchain

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// NodeSpec is one requirement on the node version.
type NodeSpec struct {
	// Source is where it was read.
	Source Source
	// Raw is the value as written (`16`, `v16.15.1`, `>=16 <17`, `lts/gallium`).
	Raw string
	// Range is the semver range it stands for: a full version is that exact
	// version (nvm's reading of `.nvmrc`), a partial one (`16`, `16.15`) or
	// a range picks among matching versions, `node` and `stable` allow any.
	Range *semver.Constraints
	// PathOnly is set by `system`: only the node on PATH will do.
	PathOnly bool
}

// Allows reports whether v satisfies the requirement.
func (s NodeSpec) Allows(v *semver.Version) bool { return s.Range.Check(v) }

// String is the requirement and where it came from, such as `.nvmrc:1 16.15.1`.
func (s NodeSpec) String() string { return s.Source.String() + " " + s.Raw }

// ParseNodeSpec reads a version-file value. It accepts versions (`16`,
// `16.15`, `v16.15.1`), semver ranges (`>=16 <17`, `^18 || ^20`), `node`,
// `stable`, `latest` and `current` (any version), `system` (the node on
// PATH), and `lts/<codename>` for the lines that have one (`lts/gallium` is
// 16.x). `lts/*` and `lts/-N` are refused: they name whichever line is
// newest on the day they are read, which the registry's node packages do
// not record, so the release does not say which node it was built with.
func ParseNodeSpec(raw string, src Source) (NodeSpec, error) {
	v := strings.TrimSpace(raw)
	lower := strings.ToLower(v)
	switch {
	case lower == "system":
		s, err := parseRange("*", src)
		s.Raw, s.PathOnly = v, true
		return s, err
	case lower == "node" || lower == "stable" || lower == "latest" || lower == "current":
		s, err := parseRange("*", src)
		s.Raw = v
		return s, err
	case lower == "lts" || strings.HasPrefix(lower, "lts/*") || strings.HasPrefix(lower, "lts/-"):
		return NodeSpec{}, fmt.Errorf("%s: %q names the newest LTS line on the day it is read, not a version; write the major version the release was built with (such as 20)", src, v)
	case strings.HasPrefix(lower, "lts/"):
		major := ltsMajor(strings.TrimPrefix(lower, "lts/"))
		if major == 0 {
			return NodeSpec{}, fmt.Errorf("%s: %q: unknown LTS codename; write the major version instead", src, v)
		}
		s, err := parseRange(fmt.Sprintf("%d.x", major), src)
		s.Raw = v
		return s, err
	case strings.HasPrefix(lower, "iojs") || strings.HasPrefix(lower, "io.js"):
		return NodeSpec{}, fmt.Errorf("%s: %q: io.js is not available", src, v)
	case isFullVersion(v):
		s, err := parseRange("="+strings.TrimPrefix(v, "v"), src)
		s.Raw = v
		return s, err
	}
	s, err := parseRange(strings.TrimPrefix(v, "v"), src)
	s.Raw = v
	return s, err
}

// ltsMajor returns the major version of an LTS codename, or 0. Codenames
// never change once given, so the list only misses lines newer than it.
func ltsMajor(name string) int {
	switch name {
	case "argon":
		return 4
	case "boron":
		return 6
	case "carbon":
		return 8
	case "dubnium":
		return 10
	case "erbium":
		return 12
	case "fermium":
		return 14
	case "gallium":
		return 16
	case "hydrogen":
		return 18
	case "iron":
		return 20
	case "jod":
		return 22
	case "krypton":
		return 24
	}
	return 0
}

// parseRange reads an npm-style semver range.
func parseRange(raw string, src Source) (NodeSpec, error) {
	r := strings.TrimSpace(raw)
	if r == "" {
		return NodeSpec{}, fmt.Errorf("%s: empty version", src)
	}
	c, err := semver.NewConstraint(r)
	if err != nil {
		return NodeSpec{}, fmt.Errorf("%s: %q is not a version or range: %w", src, raw, err)
	}
	return NodeSpec{Source: src, Raw: raw, Range: c}, nil
}

// PackageManager is a `packageManager` field: `pnpm@9.11.0+sha512.<hex>`.
type PackageManager struct {
	// Name is pnpm, yarn or npm.
	Name string
	// Version is the exact version named.
	Version *semver.Version
	// HashAlgo and Hash are the optional hash of the package's tarball
	// (corepack's `+sha512.<hex>` suffix); Hash is lower-case hex.
	HashAlgo, Hash string
	// Source is where it was read.
	Source Source
}

// String is `name@version`.
func (p PackageManager) String() string { return p.Name + "@" + p.Version.Original() }

// hashSize is the digest length, in bytes, of a hash a
// packageManager suffix may name.
func hashSize(algo string) int {
	switch algo {
	case "sha1":
		return 20
	case "sha224":
		return 28
	case "sha256":
		return 32
	case "sha384":
		return 48
	case "sha512":
		return 64
	}
	return 0
}

// isFullVersion reports whether v is a complete version (x.y.z with an
// optional v, pre-release and build), which pins that exact version rather
// than a range.
func isFullVersion(v string) bool {
	_, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	return err == nil
}

// ParsePackageManager reads a packageManager value as corepack does:
// `name@x.y.z`, optionally followed by `+<algo>.<hex>`, the hash of the
// package's tarball. Only pnpm, yarn and npm are supported, and only exact
// versions (corepack refuses ranges and so does this).
func ParsePackageManager(raw string, src Source) (PackageManager, error) {
	name, rest, ok := strings.Cut(strings.TrimSpace(raw), "@")
	if !ok || name == "" || rest == "" {
		return PackageManager{}, fmt.Errorf("%s: %q is not name@version", src, raw)
	}
	switch name {
	case "pnpm", "yarn", "npm":
	default:
		return PackageManager{}, fmt.Errorf("%s: %q: unsupported package manager %q (pnpm, yarn and npm are)", src, raw, name)
	}
	ver, hash, hasHash := strings.Cut(rest, "+")
	v, err := semver.StrictNewVersion(ver)
	if err != nil {
		return PackageManager{}, fmt.Errorf("%s: %q: %q is not an exact version", src, raw, ver)
	}
	pm := PackageManager{Name: name, Version: v, Source: src}
	if hasHash {
		algo, sum, _ := strings.Cut(hash, ".")
		size := hashSize(algo)
		b, err := hex.DecodeString(sum)
		if size == 0 || err != nil || len(b) != size {
			return PackageManager{}, fmt.Errorf("%s: %q: %q is not a hash such as sha512.<hex>", src, raw, hash)
		}
		pm.HashAlgo, pm.Hash = algo, strings.ToLower(sum)
	}
	return pm, nil
}
