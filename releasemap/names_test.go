package releasemap

import (
	"slices"
	"testing"
)

func TestCompareNames(t *testing.T) {
	sorted := []string{"1_a.js", "2_b.js", "10_c.js", "20190101000000_x.js", "20190101000001_a.js", "V2__x.sql", "V10__y.sql", "a.js", "a10.js", "a9b.js"}
	got := slices.Clone(sorted)
	slices.Reverse(got)
	slices.SortStableFunc(got, CompareNames)
	// "a9b" vs "a10": 9 < 10.
	want := []string{"1_a.js", "2_b.js", "10_c.js", "20190101000000_x.js", "20190101000001_a.js", "V2__x.sql", "V10__y.sql", "a.js", "a9b.js", "a10.js"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
}

func TestDetectOrder(t *testing.T) {
	cases := []struct {
		ids  []string
		want string
	}{
		{[]string{"20190101_a.js", "20190102_b.js", "20190103_c/up.sql"}, OrderName},
		{[]string{"001-init.ts", "002-users.ts"}, OrderName},
		{[]string{"1.js"}, OrderAdded}, // one is no evidence
		{[]string{"in-app/in-app.migration.ts", "changes-migration.ts", "2023-fix.ts"}, OrderAdded},
		{nil, OrderAdded},
	}
	for _, tc := range cases {
		if got := DetectOrder(tc.ids); got != tc.want {
			t.Errorf("DetectOrder(%v) = %s, want %s", tc.ids, got, tc.want)
		}
	}
}

func FuzzCompareNames(f *testing.F) {
	f.Add("10_a", "9_b", "09_b")
	f.Add("a", "a0", "a00")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		// A total order: antisymmetric, consistent with equality, transitive.
		if CompareNames(a, b) != -CompareNames(b, a) {
			t.Fatalf("not antisymmetric: %q %q", a, b)
		}
		if (CompareNames(a, b) == 0) != (a == b) {
			t.Fatalf("equal under the order but different: %q %q", a, b)
		}
		if CompareNames(a, b) < 0 && CompareNames(b, c) < 0 && CompareNames(a, c) >= 0 {
			t.Fatalf("not transitive: %q < %q < %q", a, b, c)
		}
	})
}
