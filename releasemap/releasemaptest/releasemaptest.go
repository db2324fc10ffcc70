// Package releasemaptest holds helpers for tests of code that builds or
// edits release maps, such as `map build`'s merge with a hand-written map.
package releasemaptest

import (
	"reflect"
	"slices"

	"github.com/relmig/relmig/releasemap"
)

// DerivedFields names the migration fields `map build` owns. Tests keep
// their own list, rather than asking the code under test, so that a field
// wrongly treated as derived fails them.
func DerivedFields() []string {
	return []string{"ID", "Path", "Commit", "Added", "SHA256", "FirstIn", "RemovedIn", "RenamedFrom"}
}

// Fields lists the exported fields of struct v (embedded structs
// flattened) except those named in skip, so a test can compare every
// hand-written field of two values, including fields added later.
func Fields(v reflect.Value, skip []string) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case !f.IsExported() || slices.Contains(skip, f.Name):
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			for k, fv := range Fields(v.Field(i), skip) {
				out[k] = fv
			}
		default:
			out[f.Name] = v.Field(i)
		}
	}
	return out
}

// Find returns the migration with id and the version of its release
// (releasemap.Unreleased for an unreleased one), or nil.
func Find(m *releasemap.Map, id string) (*releasemap.Migration, string) {
	for i := range m.Releases {
		for j := range m.Releases[i].Migrations {
			if m.Releases[i].Migrations[j].ID == id {
				return &m.Releases[i].Migrations[j], m.Releases[i].Version
			}
		}
	}
	for j := range m.Unreleased {
		if m.Unreleased[j].ID == id {
			return &m.Unreleased[j], releasemap.Unreleased
		}
	}
	return nil, ""
}
