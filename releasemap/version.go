package releasemap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Unreleased is the pseudo-version that names the map's unreleased scripts. It
// sorts after every release and may be used as the target of `between`.
const Unreleased = "unreleased"

// ErrBadVersion is wrapped by every version parsing error.
var ErrBadVersion = errors.New("not a semver version")

// Version is a release version: the text as written (kept so output shows
// what the user wrote, "v0.18.0" or "api@1.4.0") and its semver value.
// Unreleased is a Version too: it has no semver value and sorts last.
type Version struct {
	raw string
	sv  *semver.Version
}

// ParseVersion parses s as a semver 2.0.0 version. An optional prefix (a
// tag prefix such as "api@") and then an optional "v" are stripped first.
// The version must have all three numeric parts; build metadata is kept but
// ignored for ordering. "unreleased" parses as the Unreleased version.
func ParseVersion(s, prefix string) (Version, error) {
	if s == Unreleased {
		return Version{raw: s}, nil
	}
	core := s
	if prefix != "" {
		core = strings.TrimPrefix(core, prefix)
	}
	core = strings.TrimPrefix(core, "v")
	if core == "" {
		return Version{}, fmt.Errorf("%q: %w", s, ErrBadVersion)
	}
	sv, err := semver.StrictNewVersion(core)
	if err != nil {
		return Version{}, fmt.Errorf("%q: %w (%s)", s, ErrBadVersion, strings.TrimSuffix(err.Error(), "."))
	}
	return Version{raw: s, sv: sv}, nil
}

// MustParseVersion is ParseVersion for constants in tests and examples; it
// panics on a bad version and must never see user input.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s, "")
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the version as it was written.
func (v Version) String() string { return v.raw }

// IsZero reports whether v is the zero Version (not parsed).
func (v Version) IsZero() bool { return v.raw == "" }

// IsUnreleased reports whether v is the Unreleased pseudo-version.
func (v Version) IsUnreleased() bool { return v.raw == Unreleased }

// Semver returns the semver value, nil for Unreleased.
func (v Version) Semver() *semver.Version { return v.sv }

// Compare orders versions by semver 2.0.0 precedence (pre-release identifiers
// compared field by field, build metadata ignored), with Unreleased after
// every release. It returns -1, 0 or +1.
//
// The zero Version ("no release") sorts before every version.
func (v Version) Compare(w Version) int {
	switch {
	case v.IsZero() && w.IsZero():
		return 0
	case v.IsZero():
		return -1
	case w.IsZero():
		return 1
	case v.IsUnreleased() && w.IsUnreleased():
		return 0
	case v.IsUnreleased():
		return 1
	case w.IsUnreleased():
		return -1
	}
	return v.sv.Compare(w.sv)
}

// Less reports whether v has lower precedence than w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }
