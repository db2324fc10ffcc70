package releasemap

import (
	"errors"
	"testing"
)

func TestSemverPrecedenceChain(t *testing.T) {
	// The chain from semver.org §11, plain, v-prefixed and with a tag prefix.
	chain := []string{
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
	}
	for _, form := range []struct{ name, add, prefix string }{
		{"plain", "", ""},
		{"v-prefixed", "v", ""},
		{"tag-prefixed", "api@", "api@"},
		{"tag-prefixed-v", "api@v", "api@"},
	} {
		t.Run(form.name, func(t *testing.T) {
			vs := make([]Version, len(chain))
			for i, s := range chain {
				v, err := ParseVersion(form.add+s, form.prefix)
				if err != nil {
					t.Fatalf("ParseVersion(%q): %v", form.add+s, err)
				}
				if v.String() != form.add+s {
					t.Errorf("String() = %q, want %q", v.String(), form.add+s)
				}
				vs[i] = v
			}
			for i := range vs {
				for j := range vs {
					want := 0
					if i < j {
						want = -1
					} else if i > j {
						want = 1
					}
					if got := vs[i].Compare(vs[j]); got != want {
						t.Errorf("%s vs %s: Compare = %d, want %d", vs[i], vs[j], got, want)
					}
				}
			}
		})
	}
}

func TestVersionOrderingRules(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v1.0.0+build.1", "v1.0.0+build.2", 0}, // build metadata ignored
		{"v1.0.0+zzz", "1.0.0", 0},
		{"v0.9.0", "v0.10.0", -1}, // numeric, not string order
		{"v0.4.0-alpha.0", "v0.4.0", -1},
		{"v2.0.0", "v0.24.3", 1},
		{"v1.0.0-1", "v1.0.0-a", -1}, // numeric identifiers before alphanumeric
		{"v1.0.0-a.b.c", "v1.0.0-a.b", 1},
		{"unreleased", "v99.0.0", 1},
		{"unreleased", "unreleased", 0},
		{"v99.0.0", "unreleased", -1},
	}
	for _, tt := range tests {
		a, err := ParseVersion(tt.a, "")
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseVersion(tt.b, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseVersionErrors(t *testing.T) {
	for _, s := range []string{"", "v", "1.2", "v1", "1.2.3.4", "latest", "v1.02.3", "1.2.3-", "api@1.2.3", "vv1.2.3", "1.2.3-01"} {
		if _, err := ParseVersion(s, ""); !errors.Is(err, ErrBadVersion) {
			t.Errorf("ParseVersion(%q) err = %v, want ErrBadVersion", s, err)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"v1.0.0", "1.0.0-alpha.1", "api@1.4.0", "v0.18.0+meta", "unreleased", "", "1.2", "v1.0.0-rc.1+b.2"} {
		f.Add(s, "")
		f.Add(s, "api@")
	}
	f.Fuzz(func(t *testing.T, s, prefix string) {
		v, err := ParseVersion(s, prefix)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("String() = %q, want %q", v.String(), s)
		}
		if v.Compare(v) != 0 {
			t.Fatalf("%q does not equal itself", s)
		}
		if !v.IsUnreleased() {
			// Round trip through the canonical form keeps the order.
			w, err := ParseVersion(v.Semver().String(), "")
			if err != nil {
				t.Fatalf("canonical form %q of %q does not parse: %v", v.Semver().String(), s, err)
			}
			if v.Compare(w) != 0 {
				t.Fatalf("%q and its canonical form %q differ", s, w)
			}
		}
	})
}
