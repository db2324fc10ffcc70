package process

import (
	"bytes"
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceRedact is the obvious whole-input redaction: at each position the
// longest secret that starts there is replaced, else the byte is kept.
func referenceRedact(in string, secrets []string) string {
	ss := append([]string(nil), secrets...)
	sort.SliceStable(ss, func(i, j int) bool { return len(ss[i]) > len(ss[j]) })
	var b strings.Builder
	for i := 0; i < len(in); {
		matched := false
		for _, s := range ss {
			if s != "" && strings.HasPrefix(in[i:], s) {
				b.WriteString(redacted)
				i += len(s)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(in[i])
			i++
		}
	}
	return b.String()
}

// redactInPieces feeds in to a redactor cut at the given offsets.
func redactInPieces(in string, secrets []string, cuts ...int) string {
	r := newRedactor(secrets)
	var out bytes.Buffer
	prev := 0
	for _, c := range append(cuts, len(in)) {
		c = min(max(c, prev), len(in))
		out.Write(r.write([]byte(in[prev:c])))
		prev = c
	}
	out.Write(r.flush())
	return out.String()
}

func TestRedactorEverySplit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		secrets []string
	}{
		{"mongodb://admin:hunter2@db:27017/app", []string{"hunter2", "admin:hunter2"}},
		{"abcab abcabcab", []string{"abcab"}},
		{"aaaaaa", []string{"aa", "aaa"}},
		{"xabcdx abcd ab", []string{"abcd", "ab"}},
		{"no secret here", []string{"zzz"}},
		{"prefix only at the end: hun", []string{"hunter2"}},
		{"", []string{"x"}},
	} {
		want := referenceRedact(tc.in, tc.secrets)
		for i := 0; i <= len(tc.in); i++ {
			for j := i; j <= len(tc.in); j++ {
				if got := redactInPieces(tc.in, tc.secrets, i, j); got != want {
					t.Fatalf("%q cut at %d,%d: got %q, want %q", tc.in, i, j, got, want)
				}
			}
		}
	}
}

func TestRedactorHoldsBackLittle(t *testing.T) {
	r := newRedactor([]string{"secret"})
	if got := string(r.write([]byte("line ends with sec"))); got != "line ends with " {
		t.Errorf("emitted %q, want everything but the possible secret start", got)
	}
	if got := string(r.write([]byte("ond line\n"))); got != "second line\n" {
		t.Errorf("emitted %q", got)
	}
	if got := redactString("a secret", nil); got != "a secret" {
		t.Errorf("no secrets changed the text: %q", got)
	}
}

// FuzzRedactor: however the stream is cut, the output is the whole-input
// redaction, and a secret without '*' never survives.
func FuzzRedactor(f *testing.F) {
	f.Add("user:pa55@host pa55 pa5", "pa55", "user:pa55", 3, 9)
	f.Add("aaaaaaa", "aa", "aaa", 1, 2)
	f.Add("\x00\xff binary \xff", "\xff", "y", 0, 5)
	f.Fuzz(func(t *testing.T, in, s1, s2 string, c1, c2 int) {
		secrets := []string{s1, s2}
		want := referenceRedact(in, secrets)
		if got := redactInPieces(in, secrets, c1%(len(in)+1), c2%(len(in)+1)); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		for _, s := range secrets {
			if s != "" && !strings.Contains(s, "*") && strings.Contains(want, s) {
				t.Fatalf("secret %q survives in %q", s, want)
			}
		}
	})
}

func TestTailBuffer(t *testing.T) {
	tb := tailBuffer{n: 5}
	for _, p := range []string{"ab", "cd", "efg", "", "h"} {
		tb.write([]byte(p))
	}
	if tb.String() != "defgh" {
		t.Errorf("tail = %q", tb.String())
	}
	tb.write([]byte("0123456789"))
	if tb.String() != "56789" || cap(tb.buf) > 64 {
		t.Errorf("tail = %q (cap %d)", tb.String(), cap(tb.buf))
	}
	tb = tailBuffer{n: 4}
	tb.write([]byte("x€y")) // the cut falls inside the euro sign
	if got := tb.String(); !utf8.ValidString(got) || !strings.HasSuffix(got, "y") {
		t.Errorf("tail = %q, want valid UTF-8", got)
	}
}

func TestLinePrefixer(t *testing.T) {
	var b bytes.Buffer
	l := linePrefixer{w: &b, prefix: []byte("│ ")}
	for _, p := range []string{"a", "b\nc", "\n\n", "d"} {
		l.write([]byte(p))
	}
	l.finish()
	if want := "│ ab\n│ c\n│ \n│ d\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}

	failing := &failWriter{}
	l = linePrefixer{w: failing}
	l.write([]byte("x\n"))
	l.write([]byte("y\n"))
	if failing.calls != 1 || l.err == nil {
		t.Errorf("calls %d, err %v: want one failed write and then silence", failing.calls, l.err)
	}
}

type failWriter struct{ calls int }

func (f *failWriter) Write([]byte) (int, error) {
	f.calls++
	return 0, errors.New("terminal gone")
}

func TestMarkerMatcher(t *testing.T) {
	m := markerMatcher{re: regexp.MustCompile(`^Migration (done|finished)$`)}
	for _, p := range []string{"Migration do", "ne but not the end\nMigra", "tion fin"} {
		if m.write([]byte(p)) {
			t.Fatalf("matched early at %q", p)
		}
	}
	if !m.write([]byte("ished")) || m.write([]byte("\nMigration done\n")) {
		t.Errorf("want one match, on the piece that completes it")
	}

	// A huge line is matched on its first 64 KiB only, and not held whole.
	m = markerMatcher{re: regexp.MustCompile(`END`)}
	chunk := bytes.Repeat([]byte("y"), 32<<10)
	for range 10 {
		m.write(chunk)
	}
	if m.write([]byte("END")) || len(m.line) > maxMarkerLine {
		t.Errorf("line held %d bytes", len(m.line))
	}
	if !m.write([]byte("\nEND\n")) {
		t.Errorf("marker on the next line not found")
	}
}
