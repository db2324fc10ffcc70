package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/releasemap"
)

const linearMap = `relmig: 1
releases:
  - version: v1.0.0
    migrations:
      - id: a
        sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      - id: b
  - version: v1.1.0
    migrations: []
  - version: v2.0.0
    migrations:
      - id: c
        after: [a]
      - id: idem
        idempotent: true
  - version: v2.0.1
    migrations:
      - id: pref
        before: v2.1.0
  - version: v2.1.0
    migrations:
      - id: d
unreleased:
  - id: next
`

// sideMap: v0.24.3 is a maintenance release cut from v0.24.1; v1.0.0
// descends from v0.24.1 only.
const sideMap = `relmig: 1
releases:
  - version: v0.24.1
    migrations:
      - id: base
  - version: v0.24.3
    parents: [v0.24.1]
    migrations:
      - id: maint-only
  - version: v1.0.0
    parents: [v0.24.1]
    migrations:
      - id: main
        after: [maint-only]
`

func seq(t *testing.T, doc string) *releasemap.Sequence {
	t.Helper()
	m, err := releasemap.Parse([]byte(doc), "map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(releasemap.ValidateOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// recs builds the store's summaries from records "id:status" (optionally
// "id:status:sha"), one minute apart, in the order given, the way the store
// maintains them.
func recs(specs ...string) map[string]history.Summary {
	out := map[string]history.Summary{}
	for i, s := range specs {
		p := strings.Split(s, ":")
		e := history.Entry{Status: history.Status(p[1]), StartedAt: t0.Add(time.Duration(i) * time.Minute)}
		if len(p) > 2 {
			e.SHA256 = p[2]
		}
		sum := out[p[0]]
		sum.Latest = e
		sum.Attempts++
		if e.Status.Applied() {
			applied := e
			sum.Applied = &applied
		}
		out[p[0]] = sum
	}
	return out
}

func planIDs(r *Result) []string {
	var ids []string
	for _, e := range r.Plan {
		ids = append(ids, e.Migration.ID)
	}
	return ids
}

func findings(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestCompute(t *testing.T) {
	aHash := strings.Repeat("a", 64)
	tests := []struct {
		name     string
		doc      string
		records  map[string]history.Summary
		target   string
		retry    []string
		strict   bool
		plan     []string
		current  string
		refusals []string // substrings, one per refusal, in order
		warnings []string
	}{
		{name: "fresh database plans everything to the highest release",
			plan: []string{"a", "b", "c", "idem", "pref", "d"}},
		{name: "target bounds the plan", target: "v2.0.0",
			plan: []string{"a", "b", "c", "idem"}},
		{name: "unreleased target includes unreleased scripts", target: "unreleased",
			plan: []string{"a", "b", "c", "idem", "pref", "d", "next"}},
		{name: "a target between releases", target: "v1.5.0",
			plan: []string{"a", "b"}},
		{name: "baselined and skipped count as applied; current climbs through empty releases",
			records: recs("a:baselined", "b:skipped"),
			plan:    []string{"c", "idem", "pref", "d"}, current: "v1.1.0"},
		{name: "everything applied: nothing to do",
			records: recs("a:succeeded", "b:succeeded", "c:succeeded", "idem:succeeded", "pref:succeeded", "d:succeeded"),
			plan:    nil, current: "v2.1.0"},
		{name: "downgrade is refused",
			records: recs("a:succeeded", "b:succeeded", "c:succeeded", "idem:succeeded"), target: "v1.0.0",
			current: "v2.0.0", refusals: []string{"target v1.0.0 is below what the database already holds (v2.0.0)"}},
		{name: "an applied unreleased script makes every release target a downgrade",
			records: recs("a:succeeded", "b:succeeded", "next:succeeded"), target: "v2.1.0",
			plan: []string{"c", "idem", "pref", "d"}, current: "v1.1.0",
			refusals: []string{"below what the database already holds (unreleased)"}},
		{name: "failed non-idempotent is refused",
			records: recs("a:succeeded", "b:running", "b:failed"),
			plan:    []string{"b", "c", "idem", "pref", "d"}, current: "",
			refusals: []string{"b: last attempt failed and it is not idempotent"}},
		{name: "--retry lets a checked failure run again",
			records: recs("a:succeeded", "b:failed"), retry: []string{"b"},
			plan: []string{"b", "c", "idem", "pref", "d"}},
		{name: "interrupted non-idempotent is refused",
			records: recs("a:interrupted"), plan: []string{"a", "b", "c", "idem", "pref", "d"},
			refusals: []string{"a: last attempt interrupted"}},
		{name: "failed idempotent is simply planned again",
			records: recs("a:succeeded", "b:succeeded", "idem:failed"), target: "v2.0.0",
			plan: []string{"c", "idem"}, current: "v1.1.0"},
		{name: "a running attempt is refused",
			records: recs("a:running"), target: "v1.0.0", plan: []string{"a", "b"},
			refusals: []string{"a: an attempt is still running"}},
		{name: "a mark as failed after success makes it failed again",
			records: recs("a:succeeded", "a:failed"), target: "v1.0.0", plan: []string{"a", "b"},
			refusals: []string{"a: last attempt failed"}},
		{name: "before window passed",
			records: recs("a:succeeded", "b:succeeded", "c:succeeded", "idem:succeeded", "d:succeeded"),
			plan:    []string{"pref"}, current: "v2.0.0",
			refusals: []string{"pref: must run before v2.1.0, but the database already reached v2.1.0"},
			warnings: []string{"d: applied while pref, earlier in run order, is still pending"}},
		{name: "before window still open",
			records: recs("a:succeeded", "b:succeeded", "c:succeeded", "idem:succeeded"),
			plan:    []string{"pref", "d"}, current: "v2.0.0"},
		{name: "drift is a warning",
			records: recs("a:succeeded:"+strings.Repeat("b", 64), "b:succeeded"), target: "v1.0.0",
			current: "v1.1.0", warnings: []string{"a: content changed since it was applied"}},
		{name: "same hash is no drift",
			records: recs("a:succeeded:"+aHash, "b:succeeded"), target: "v1.0.0", current: "v1.1.0"},
		{name: "--strict turns warnings into refusals",
			records: recs("a:succeeded:"+strings.Repeat("b", 64), "b:succeeded"), target: "v1.0.0", strict: true,
			current: "v1.1.0", warnings: []string{"a: content changed"}, refusals: []string{"a: content changed since it was applied (recorded sha256 bbbbbbbbbbbb, map aaaaaaaaaaaa) (--strict)"}},
		{name: "unknown ids in history are a warning",
			records: recs("ghost:succeeded"), target: "v1.0.0", plan: []string{"a", "b"},
			warnings: []string{"ghost: history has records for an id the map does not know"}},
		{name: "applied out of order is a warning",
			records: recs("b:succeeded"), target: "v1.0.0", plan: []string{"a"},
			warnings: []string{"b: applied while a, earlier in run order, is still pending"}},
		{name: "side line: its script is not planned for the main line, and an after on it is refused",
			doc: sideMap, plan: []string{"base", "main"},
			refusals: []string{"main: after maint-only, which is neither applied nor planned before it"}},
		{name: "side line: along the maintenance line it is planned",
			doc: sideMap, target: "v0.24.3", plan: []string{"base", "maint-only"}},
		{name: "side line: current release follows the main line",
			doc: sideMap, records: recs("base:succeeded", "maint-only:skipped", "main:succeeded"), current: "v1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc
			if doc == "" {
				doc = linearMap
			}
			in := Input{Seq: seq(t, doc), History: tt.records, Retry: tt.retry, Strict: tt.strict}
			if tt.target != "" {
				in.Target = releasemap.MustParseVersion(tt.target)
			}
			res, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := planIDs(res); !reflect.DeepEqual(got, tt.plan) {
				t.Errorf("plan = %v, want %v", got, tt.plan)
			}
			if got := res.Current.String(); got != tt.current {
				t.Errorf("current = %q, want %q", got, tt.current)
			}
			match(t, "refusals", findings(res.Refusals), tt.refusals)
			if ahead := len(tt.refusals) > 0 && strings.Contains(tt.refusals[0], "already holds"); res.Ahead != ahead {
				t.Errorf("Ahead = %v, want %v", res.Ahead, ahead)
			}
			match(t, "warnings", findings(res.Warnings), tt.warnings)
			if (len(tt.refusals) > 0) != errors.Is(res.Err(), ErrRefused) {
				t.Errorf("Err() = %v with %d refusals", res.Err(), len(tt.refusals))
			}
		})
	}
}

func match(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %d matching %q", what, got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%s[%d] = %q, want it to contain %q", what, i, got[i], want[i])
		}
	}
}

func TestMigrationStates(t *testing.T) {
	res, err := Compute(Input{Seq: seq(t, linearMap), History: recs("a:baselined", "b:failed", "c:running", "idem:interrupted", "pref:skipped")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range res.Migrations {
		got[m.Migration.ID] = string(m.State) + "/" + string(m.AppliedAs)
	}
	want := map[string]string{"a": "applied/baselined", "b": "failed/", "c": "running/", "idem": "interrupted/", "pref": "applied/skipped", "d": "pending/", "next": "pending/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
}

func TestRetryValidation(t *testing.T) {
	for _, retry := range []string{"ghost", "a"} {
		_, err := Compute(Input{Seq: seq(t, linearMap), Retry: []string{retry}})
		if !errors.Is(err, releasemap.ErrInvalid) {
			t.Errorf("--retry %s: err = %v, want ErrInvalid", retry, err)
		}
	}
}
