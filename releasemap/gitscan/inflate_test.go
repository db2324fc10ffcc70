package gitscan

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// inflateSamples returns contents that exercise every kind of deflate
// block: text (dynamic codes), tiny inputs (fixed codes), incompressible
// bytes (stored blocks), long runs (overlapping matches) and contents
// longer than one block.
func inflateSamples() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	commit := "tree 9c1185a5c5e9fc54612808977ee8f548b2258d31\n" +
		"parent 3f2a9b1c0d4e5f60718293a4b5c6d7e8f9012345\n" +
		"author A U Thor <author@example.com> 1700000000 +0100\n" +
		"committer C O Mitter <committer@example.com> 1700000100 -0230\n\n" +
		"Add the expire-at migration\n\nIt backfills expireAt on every message.\n"
	var text strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&text, "line %d of a migration script, %s\n", i, strings.Repeat("x", i%17))
	}
	samples := [][]byte{
		nil,
		[]byte("a"),
		[]byte(commit),
		[]byte(strings.Repeat("a", 1000)),
		[]byte(strings.Repeat("ab", 40000)),
		[]byte(text.String()),
		random(10),
		random(100000),
		append([]byte(text.String()), random(70000)...),
	}
	for n := 1; n <= 300; n += 37 {
		samples = append(samples, []byte(commit[:min(n, len(commit))]))
	}
	return samples
}

func zlibBytes(t testing.TB, data []byte, level int) []byte {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var inflateLevels = []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly}

// The inflater returns what compress/zlib does, whole and by prefixes,
// and reuses one inflater and buffer across streams.
func TestInflateMatchesZlib(t *testing.T) {
	var f inflater
	var buf []byte
	for i, data := range inflateSamples() {
		for _, level := range inflateLevels {
			z := zlibBytes(t, data, level)
			// Input after the stream (the next object of a pack) must not
			// be read.
			in := append(append([]byte(nil), z...), "next object"...)
			if err := f.reset(in, make([]byte, 0, len(data)), len(data)); err != nil {
				t.Fatal(err)
			}
			out, err := f.all()
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("sample %d level %d: %d bytes, err %v; want %d bytes", i, level, len(out), err, len(data))
			}
			for _, n := range []int{0, 1, 46, 100, 192, 1000, 70000} {
				if err := f.reset(in, buf, len(data)); err != nil {
					t.Fatal(err)
				}
				if err := f.fill(n); err != nil {
					t.Fatalf("sample %d level %d: fill(%d): %v", i, level, n, err)
				}
				buf = f.out[:0]
				if len(f.out) < min(n, len(data)) || !bytes.Equal(f.out, data[:len(f.out)]) {
					t.Fatalf("sample %d level %d: fill(%d) gave %d bytes, not a prefix of at least %d", i, level, n, len(f.out), min(n, len(data)))
				}
				// Filling on continues where the prefix stopped.
				if err := f.fill(n + 500); err != nil || !bytes.Equal(f.out, data[:len(f.out)]) {
					t.Fatalf("sample %d level %d: fill(%d) after fill(%d): %v", i, level, n+500, n, err)
				}
			}
		}
	}
}

// A stream cut short never inflates: it needs more input, whatever the cut.
func TestInflateTruncated(t *testing.T) {
	var f inflater
	for i, data := range inflateSamples()[:6] {
		z := zlibBytes(t, data, zlib.DefaultCompression)
		// Every cut of the short streams, a sample of the long ones.
		step := max(1, len(z)/500)
		for cut := 0; cut < len(z); cut += step {
			err := f.reset(z[:cut], nil, len(data))
			if err == nil {
				_, err = f.all()
			}
			if !errors.Is(err, errNeedInput) {
				t.Fatalf("sample %d cut at %d of %d: %v, want errNeedInput", i, cut, len(z), err)
			}
		}
	}
}

// A stream that inflates to more than the object's size, or to less, is an
// error; so is a damaged header or checksum.
func TestInflateRejects(t *testing.T) {
	data := []byte(strings.Repeat("migration ", 100))
	z := zlibBytes(t, data, zlib.DefaultCompression)
	var f inflater
	for _, size := range []int{len(data) - 1, len(data) + 1, 0} {
		if err := f.reset(z, nil, size); err != nil {
			t.Fatal(err)
		}
		if _, err := f.all(); err == nil {
			t.Errorf("size %d of a %d-byte stream: no error", size, len(data))
		}
	}
	badSum := append([]byte(nil), z...)
	badSum[len(badSum)-1] ^= 1
	if err := f.reset(badSum, nil, len(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.all(); !errors.Is(err, errCorrupt) {
		t.Errorf("bad checksum: %v", err)
	}
	for _, hdr := range [][]byte{{0x78, 0x9b}, {0x79, 0x9c}, {0x78, 0xbb}} {
		if err := f.reset(append(hdr, z[2:]...), nil, len(data)); !errors.Is(err, errCorrupt) {
			t.Errorf("header %x: %v", hdr, err)
		}
	}
}

// The inflater agrees with compress/zlib on any input: whatever it
// inflates, compress/zlib inflates the same way.
func FuzzInflate(f *testing.F) {
	for _, data := range inflateSamples()[:7] {
		for _, level := range inflateLevels {
			f.Add(zlibBytes(f, data, level), 100)
		}
	}
	f.Fuzz(func(t *testing.T, z []byte, n int) {
		// What compress/zlib makes of it, up to a bound.
		var want []byte
		var wantErr error
		if zr, err := zlib.NewReader(bytes.NewReader(z)); err != nil {
			wantErr = err
		} else {
			want, wantErr = io.ReadAll(io.LimitReader(zr, 1<<20))
		}
		var inf inflater
		if err := inf.reset(z, nil, 1<<20); err != nil {
			return
		}
		// A prefix is never wrong, even where the rest of the stream is.
		// compress/zlib stops a few bytes early at the end of a truncated
		// input (it reads ahead), so the bytes after its output are only
		// checked against a damaged stream, which it rejects.
		if err := inf.fill(n % (1 << 20)); err == nil {
			common := min(len(want), len(inf.out))
			if !bytes.Equal(want[:common], inf.out[:common]) {
				t.Fatalf("prefix of %d bytes differs from compress/zlib's %d bytes (%v)", len(inf.out), len(want), wantErr)
			}
			if len(inf.out) > len(want) && wantErr != nil && !errors.Is(wantErr, io.ErrUnexpectedEOF) {
				t.Fatalf("prefix of %d bytes, compress/zlib stops at %d: %v", len(inf.out), len(want), wantErr)
			}
		}
		if wantErr != nil {
			return
		}
		if err := inf.reset(z, nil, len(want)); err != nil {
			t.Fatalf("compress/zlib inflates it, the inflater does not start: %v", err)
		}
		if out, err := inf.all(); err == nil && !bytes.Equal(out, want) {
			t.Fatalf("inflated %d bytes, compress/zlib %d", len(out), len(want))
		}
	})
}

// A code without symbols decodes nothing, even where the previous code
// built in the same table had symbols: a block of literals only has no
// distance codes, and a match in it is an error, not a stale distance.
func TestInflateEmptyCode(t *testing.T) {
	var h huffman
	if err := h.build([]uint8{2, 2, 2, 2}, litFastBits); err != nil {
		t.Fatal(err)
	}
	if err := h.build(make([]uint8, 30), distFastBits); err != nil || !h.empty {
		t.Fatalf("all lengths zero: empty %v, %v", h.empty, err)
	}
	for i, e := range h.fast[:1<<distFastBits] {
		if e != 0 {
			t.Fatalf("entry %d of an empty code's table decodes symbol %d", i, e>>4)
		}
	}
	if s, _, err := h.slow(0, 32); !errors.Is(err, errCorrupt) {
		t.Fatalf("decoded %d from an empty code, err %v", s, err)
	}
}

// When the window an object starts in ends inside its stream, the pack
// reader reads a window that holds it, whole or headers only; when the
// pack itself ends inside the stream, compress/zlib says so.
func TestInflateAcrossWindowEnd(t *testing.T) {
	commit := []byte("tree 9c1185a5c5e9fc54612808977ee8f548b2258d31\n" +
		"parent 3f2a9b1c0d4e5f60718293a4b5c6d7e8f9012345\n" +
		"author A U Thor <author@example.com> 1700000000 +0100\n" +
		"committer C O Mitter <committer@example.com> 1700000100 -0230\n\n" +
		strings.Repeat("A long message line that is not needed.\n", 40))
	z := zlibBytes(t, commit, zlib.DefaultCompression)
	p := &packIndex{pack: bytes.NewReader(z)}
	head := commit[:bytes.Index(commit, []byte("\n\n"))+1]
	links := commit[:bytes.Index(commit, []byte("author "))]
	for _, cut := range []int{0, 1, 10, len(z) / 2, len(z) - 1, len(z)} {
		pr := newPackReader(&packSet{})
		win := packWindow{pack: p, data: z[:cut]}
		src := &windowReader{pack: p, win: &win}
		got, err := pr.inflate(src, int64(len(commit)), nil)
		if err != nil || !bytes.Equal(got, commit) {
			t.Fatalf("window of %d bytes: %d bytes, %v", cut, len(got), err)
		}
		for part, want := range map[commitPart][]byte{throughCommitter: head, throughParents: links} {
			src = &windowReader{pack: p, win: &win}
			got, err = pr.inflateHead(src, int64(len(commit)), part)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("window of %d bytes: part %d %q, %v", cut, part, got, err)
			}
		}
	}
	short := &packIndex{pack: bytes.NewReader(z[:30])}
	for _, part := range []commitPart{wholeObject, throughCommitter} {
		pr := newPackReader(&packSet{})
		win := packWindow{pack: short, data: z[:20]}
		src := &windowReader{pack: short, win: &win}
		var err error
		if part == wholeObject {
			_, err = pr.inflate(src, int64(len(commit)), nil)
		} else {
			_, err = pr.inflateHead(src, int64(len(commit)), part)
		}
		if err == nil {
			t.Errorf("part %d of a truncated pack: no error", part)
		}
	}
}
