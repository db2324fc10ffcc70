package releasemap

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func loadSeq(t *testing.T, file string) *Sequence {
	t.Helper()
	m, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(rg *Range) []string {
	out := make([]string, len(rg.Entries))
	for i, e := range rg.Entries {
		out[i] = e.Release.String() + " " + e.Migration.ID
	}
	return out
}

func TestBetweenNovu(t *testing.T) {
	s := loadSeq(t, "testdata/novu.yaml")
	tests := []struct {
		from, to string
		want     []string
	}{
		{"v0.18.0", "v2.0.1", []string{
			"v0.21.0 integration-scheme-update/add-integration-identifier-migration.ts",
			"v0.21.0 integration-scheme-update/add-primary-priority-migration.ts",
			"v0.21.0 layout-identifier-update/add-layout-identifier-migration.ts",
			"v0.23.0 encrypt-api-keys/encrypt-api-keys-migration.ts",
			"v0.24.0 normalize-message-template-cta-action/normalize-message-cta-action.migration.ts",
			"v0.24.0 topic-subscriber-normalize/topic-subscriber-normalize.migration.ts",
			"v2.0.0 subscribers/remove-duplicated-subscribers.migration.ts",
			"v2.0.1 preference-centralization/preference-centralization.migration.ts",
		}},
		{"v2.0.0", "unreleased", []string{
			"v2.0.1 preference-centralization/preference-centralization.migration.ts",
			"unreleased delete-logs/delete-logs.migration.ts",
		}},
		// Versions without releases of their own bound the range just as well.
		{"v0.19.5", "v0.23.1", []string{
			"v0.21.0 integration-scheme-update/add-integration-identifier-migration.ts",
			"v0.21.0 integration-scheme-update/add-primary-priority-migration.ts",
			"v0.21.0 layout-identifier-update/add-layout-identifier-migration.ts",
			"v0.23.0 encrypt-api-keys/encrypt-api-keys-migration.ts",
		}},
		{"v0.0.1", "v0.18.0", []string{
			"v0.17.2 novu-integrations/novu-integrations.migration.ts",
			"v0.18.0 changes-migration.ts",
			"v0.18.0 encrypt-credentials/encrypt-credentials-migration.ts",
			"v0.18.0 expire-at/expire-at.migration.ts",
			"v0.18.0 fcm-credentials/fcm-credentials-migration.ts",
			"v0.18.0 in-app-integration/in-app-integration.migration.ts",
			"v0.18.0 normalize-users-email/normalize-users-email.migration.ts",
			"v0.18.0 secure-to-boolean/secure-to-boolean-migration.ts",
			"v0.18.0 seen-read-support/seen-read-support.migration.ts",
		}},
		{"v2.0.1", "v3.0.0", nil},
		// A pre-release of the next version is below it.
		{"v2.0.0", "v2.0.1-rc.1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			rg, err := s.Between(MustParseVersion(tt.from), MustParseVersion(tt.to))
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rg); !reflect.DeepEqual(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestBetweenRejectsDowngrade(t *testing.T) {
	s := loadSeq(t, "testdata/novu.yaml")
	for _, r := range [][2]string{{"v2.0.1", "v0.18.0"}, {"v1.0.0", "v1.0.0"}, {"v1.0.0+a", "v1.0.0+b"}, {"unreleased", "unreleased"}} {
		_, err := s.Between(MustParseVersion(r[0]), MustParseVersion(r[1]))
		if !errors.Is(err, ErrBadRange) {
			t.Errorf("Between(%s, %s) err = %v, want ErrBadRange", r[0], r[1], err)
		}
	}
}

// sideLineMap has a maintenance line: v0.24.3 was cut from v0.24.1, and
// v2.0.0 descends from v0.24.1 only. "backport" came first in v0.24.3 and was
// cherry-picked into v2.0.0; "maint-only" exists on the maintenance line only.
const sideLineMap = `relmig: 1
releases:
  - version: v0.24.1
    migrations:
      - id: base
  - version: v0.24.3
    parents: [v0.24.1]
    migrations:
      - id: backport
        first_in: [v0.24.3, v2.0.0]
      - id: maint-only
  - version: v1.0.0
    parents: [v0.24.1]
    migrations:
      - id: one
  - version: v2.0.0
    parents: [v1.0.0]
    migrations:
      - id: two
  - version: v2.0.1
    parents: [v2.0.0]
    migrations:
      - id: three
`

func TestBetweenSideLines(t *testing.T) {
	m, err := Parse([]byte(sideLineMap), "side.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(ValidateOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to string
		want     []string
		leftOut  []string
	}{
		// From the main line: the back-port runs where main first carried it.
		{"v0.24.1", "v2.0.1", []string{"v1.0.0 one", "v0.24.3 backport", "v2.0.0 two", "v2.0.1 three"}, []string{"maint-only"}},
		{"v1.0.0", "v2.0.1", []string{"v0.24.3 backport", "v2.0.0 two", "v2.0.1 three"}, nil},
		// From the maintenance line: the back-port already ran there.
		{"v0.24.3", "v2.0.1", []string{"v1.0.0 one", "v2.0.0 two", "v2.0.1 three"}, nil},
		// Along the maintenance line itself.
		{"v0.24.1", "v0.24.3", []string{"v0.24.3 backport", "v0.24.3 maint-only"}, nil},
		// A target between releases stands for the highest release below it.
		{"v0.24.1", "v1.5.0", []string{"v1.0.0 one"}, []string{"backport", "maint-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			rg, err := s.Between(MustParseVersion(tt.from), MustParseVersion(tt.to))
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			var left []string
			for _, l := range rg.LeftOut {
				left = append(left, l.ID)
			}
			if !reflect.DeepEqual(left, tt.leftOut) {
				t.Errorf("left out %q, want %q", left, tt.leftOut)
			}
		})
	}
}

func TestRunOrderAfterIsStableTopological(t *testing.T) {
	mk := func(id string, after ...string) Migration { return Migration{ID: id, After: after} }
	tests := []struct {
		name string
		in   []Migration
		want []string
	}{
		{"map order without constraints", []Migration{mk("c"), mk("a"), mk("b")}, []string{"c", "a", "b"}},
		{"constraint moves one forward", []Migration{mk("a", "c"), mk("b"), mk("c")}, []string{"b", "c", "a"}},
		{"chain", []Migration{mk("a", "b"), mk("b", "c"), mk("c"), mk("d")}, []string{"c", "b", "a", "d"}},
		{"other release's ids are ignored", []Migration{mk("a", "elsewhere"), mk("b")}, []string{"a", "b"}},
		{"diamond", []Migration{mk("d", "b", "c"), mk("c", "a"), mk("b", "a"), mk("a")}, []string{"a", "c", "b", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := orderRelease("v1.0.0", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range out {
				got = append(got, g.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunOrderCycleIsNamed(t *testing.T) {
	in := []Migration{{ID: "x"}, {ID: "a", After: []string{"c"}}, {ID: "b", After: []string{"a"}}, {ID: "c", After: []string{"b"}}}
	_, err := orderRelease("v1.0.0", in)
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CycleError", err)
	}
	if got := strings.Join(ce.IDs, " -> "); got != "c -> a -> b -> c" && got != "a -> b -> c -> a" && got != "b -> c -> a -> b" {
		t.Errorf("cycle = %s", got)
	}
	if !strings.Contains(err.Error(), "v1.0.0") || !errors.Is(err, ErrInvalid) {
		t.Errorf("error %q should name the release and wrap ErrInvalid", err)
	}
}
