package toolchain

import "strings"

// Checker validates the map's toolchain overrides (`node`,
// `package_manager`) without resolving anything; it satisfies
// releasemap.ToolchainChecker so `map check` reports them with the map's
// file and line.
type Checker struct{}

// Node checks a node requirement as written in a map (`16.15.1`, `>=20 <21`).
func (Checker) Node(s string) error {
	_, err := ParseNodeSpec(s, Source{})
	return trimOverride(err)
}

// PackageManager checks a package manager as written in a map
// (`pnpm@7.33.4`).
func (Checker) PackageManager(s string) error {
	_, err := ParsePackageManager(s, Source{})
	return trimOverride(err)
}

// trimOverride drops the "override: " prefix the parsers give a
// requirement without a file: the map's problem names the file and line.
func trimOverride(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), Source{}.String()+": ")
	return checkError(msg)
}

type checkError string

func (e checkError) Error() string { return string(e) }
