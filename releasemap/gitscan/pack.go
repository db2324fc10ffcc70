package gitscan

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"path"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// A scan reads tens of thousands of commits and root trees. go-git's pack
// reader resolves each through generic object types, a hash-keyed LRU and
// an offset→hash map of the whole pack built on first use; this reader
// does only what a scan needs: find an object in the pack indexes, inflate
// it, apply its delta chain with a small cache of delta bases (as git's
// delta_base_cache does). Objects it cannot find (loose objects, other
// object stores) are read through go-git.

// Pack object types, as the pack format numbers them.
const (
	packCommit   = 1
	packTree     = 2
	packBlob     = 3
	packTag      = 4
	packOfsDelta = 6
	packRefDelta = 7
)

// maxObjectSize bounds the objects this reader inflates into memory (a
// corrupt header must not allocate what it claims).
const maxObjectSize = 1 << 30

// deltaBaseCacheSize bounds the delta bases kept in memory.
const deltaBaseCacheSize = 24 << 20

// packIndex is one pack's .idx (version 2), read whole, and its .pack.
type packIndex struct {
	fanout  [256]uint32
	names   []byte // 20 bytes per object, sorted
	offsets []byte // 4 bytes per object
	large   []byte // 8 bytes per large offset
	pack    io.ReaderAt
	closer  io.Closer
}

// packSet is every pack of a repository; read-only once opened, so the
// readers of several goroutines share it.
type packSet struct {
	packs []*packIndex
}

// openPacks reads the indexes of the packs under objects/pack. A pack it
// cannot read is skipped: go-git reads its objects instead.
func openPacks(fs billy.Filesystem) *packSet {
	ps := &packSet{}
	entries, err := fs.ReadDir("objects/pack")
	if err != nil {
		return ps
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".idx") {
			continue
		}
		idx, err := readPackIndex(fs, path.Join("objects/pack", name))
		if err != nil {
			continue
		}
		f, err := fs.Open(path.Join("objects/pack", strings.TrimSuffix(name, ".idx")+".pack"))
		if err != nil {
			continue
		}
		idx.pack, idx.closer = f, f
		ps.packs = append(ps.packs, idx)
	}
	return ps
}

// Close closes the pack files.
func (ps *packSet) Close() error {
	var errs []error
	for _, p := range ps.packs {
		errs = append(errs, p.closer.Close())
	}
	return errors.Join(errs...)
}

func readPackIndex(fs billy.Filesystem, name string) (*packIndex, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One read of the known size: io.ReadAll would grow its buffer (and
	// copy it) a dozen times for a large index.
	var data []byte
	if st, err := fs.Stat(name); err == nil && st.Size() > 0 && st.Size() < maxObjectSize {
		data = make([]byte, st.Size())
		_, err = io.ReadFull(f, data)
		if err != nil {
			return nil, err
		}
	} else if data, err = io.ReadAll(f); err != nil {
		return nil, err
	}
	if len(data) < 8+256*4 || !bytes.Equal(data[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(data[4:8]) != 2 {
		return nil, fmt.Errorf("%s: not a version 2 pack index", name)
	}
	idx := &packIndex{}
	for i := range idx.fanout {
		idx.fanout[i] = binary.BigEndian.Uint32(data[8+4*i:])
	}
	n := int(idx.fanout[255])
	pos := 8 + 256*4
	if len(data) < pos+n*(20+4+4) {
		return nil, fmt.Errorf("%s: truncated", name)
	}
	idx.names = data[pos : pos+20*n]
	pos += 20 * n
	pos += 4 * n // CRCs
	idx.offsets = data[pos : pos+4*n]
	pos += 4 * n
	idx.large = data[pos:]
	return idx, nil
}

// find returns the object's offset in this pack.
func (p *packIndex) find(h plumbing.Hash) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(p.fanout[h[0]-1])
	}
	hi := int(p.fanout[h[0]])
	i := p.search(h, lo, hi)
	if i >= hi || !bytes.Equal(p.names[i*20:i*20+20], h[:]) {
		return 0, false
	}
	off := binary.BigEndian.Uint32(p.offsets[i*4:])
	if off&0x80000000 == 0 {
		return int64(off), true
	}
	k := int(off&0x7fffffff) * 8
	if k+8 > len(p.large) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(p.large[k:])), true
}

// less reports whether the i-th name of the index sorts before h.
func (p *packIndex) less(i int, h *plumbing.Hash, key uint64) bool {
	name := p.names[i*20 : i*20+20]
	v := binary.BigEndian.Uint64(name[:8])
	return v < key || v == key && bytes.Compare(name[8:], h[8:]) < 0
}

// search returns the first position in [lo, hi) whose name does not sort
// before h (hi when none). Object names are uniformly distributed, so it
// starts where h would fall if they were evenly spaced and widens from
// there: a lookup touches a few neighbouring cache lines of the index
// instead of the ten or so far-apart ones of a binary search, and a walk
// looks up every commit and tree it reads.
func (p *packIndex) search(h plumbing.Hash, lo, hi int) int {
	key := binary.BigEndian.Uint64(h[:8])
	if hi-lo > 8 {
		// The bytes after the first (which the fanout has used) place h in
		// [lo, hi) in proportion.
		g, _ := bits.Mul64(binary.BigEndian.Uint64(h[1:9]), uint64(hi-lo))
		guess := lo + int(g)
		// Widen a bracket around guess by doubling steps, then bisect it.
		step := 4
		if p.less(guess, &h, key) {
			lo = guess + 1
			for lo+step < hi && p.less(lo+step, &h, key) {
				lo += step + 1
				step *= 2
			}
			hi = min(hi, lo+step)
		} else {
			hi = guess
			for hi-step > lo && !p.less(hi-step-1, &h, key) {
				hi -= step + 1
				step *= 2
			}
			lo = max(lo, hi-step)
		}
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if p.less(mid, &h, key) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// packReader reads objects from a packSet for one goroutine: it owns the
// inflater, the read buffer and the delta base cache.
type packReader struct {
	set *packSet
	// inf inflates objects from the window they start in; zr, from the
	// pack file, the rare ones the window does not hold to their end.
	inf inflater
	zr  io.ReadCloser
	// head is the buffer commit headers are inflated into (see read);
	// deltas[i], the one deltas at depth i of a chain are.
	head   []byte
	deltas [][]byte
	// scratch is the buffer of reads for wholeScratch.
	scratch []byte
	// Windows of the pack read with one pread each, most recent first:
	// a walk reads neighbouring objects (git packs commits, then trees,
	// by recency), so most objects come from a window already read.
	wins [packWindows]packWindow
	src  windowReader

	cache     map[baseKey]*list.Element
	lru       list.List
	cacheSize int
}

type baseKey struct {
	pack *packIndex
	off  int64
}

type baseEntry struct {
	key  baseKey
	typ  int
	data []byte
}

func newPackReader(set *packSet) *packReader {
	return &packReader{set: set, cache: map[baseKey]*list.Element{}}
}

// commitPart is how much of a commit a read needs.
type commitPart int

const (
	wholeObject commitPart = iota
	// throughCommitter is the headers up to the committer line: tree,
	// parents, author, committer time.
	throughCommitter
	// throughParents is the tree and parent lines: all a walk needs.
	throughParents
	// wholeScratch is the whole object (of any type), in a buffer that the
	// next read reuses: a root tree read for one entry is dead at once.
	wholeScratch
)

// end returns the length of the part of commit prefix b, or zero when b
// does not hold all of it yet.
func (part commitPart) end(b []byte) int {
	if part == throughCommitter {
		if i := bytes.Index(b, []byte("\ncommitter ")); i >= 0 {
			if j := bytes.IndexByte(b[i+1:], '\n'); j >= 0 {
				return i + 1 + j + 1
			}
		}
		return 0
	}
	// The tree and parent lines come first; the part ends where a line
	// starts that (as far as b shows) is neither.
	pos := 0
	for {
		rest := b[pos:]
		if len(rest) < len("parent ") {
			return 0
		}
		if !bytes.HasPrefix(rest, []byte("tree ")) && !bytes.HasPrefix(rest, []byte("parent ")) {
			return pos
		}
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return 0
		}
		pos += nl + 1
	}
}

// read returns the object's type and content; ok is false when no pack
// has it. A commit may come back cut after part of it, in a buffer that
// the next read reuses.
func (pr *packReader) read(h plumbing.Hash, part commitPart) (plumbing.ObjectType, []byte, bool, error) {
	for _, p := range pr.set.packs {
		if off, ok := p.find(h); ok {
			typ, data, err := pr.object(p, off, 0, part)
			if err != nil {
				return 0, nil, false, fmt.Errorf("read %s from pack: %w", h, err)
			}
			return objectType(typ), data, true, nil
		}
	}
	return 0, nil, false, nil
}

func objectType(t int) plumbing.ObjectType {
	switch t {
	case packCommit:
		return plumbing.CommitObject
	case packTree:
		return plumbing.TreeObject
	case packBlob:
		return plumbing.BlobObject
	case packTag:
		return plumbing.TagObject
	}
	return plumbing.InvalidObject
}

// maxDeltaDepth bounds delta chains (git's default is 50; packs made with
// --depth go up to 4095).
const maxDeltaDepth = 10000

// at reads the object at off of pack p, resolving deltas.
func (pr *packReader) at(p *packIndex, off int64, depth int) (int, []byte, error) {
	return pr.object(p, off, depth, wholeObject)
}

// object reads the object at off of pack p, resolving deltas. An
// undeltified commit is inflated only up to the end of part, which skips
// signatures and messages (and, for a walk, the author and committer).
func (pr *packReader) object(p *packIndex, off int64, depth int, part commitPart) (int, []byte, error) {
	key := baseKey{p, off}
	if el, ok := pr.cache[key]; ok {
		pr.lru.MoveToFront(el)
		e := el.Value.(*baseEntry)
		return e.typ, e.data, nil
	}
	if depth > maxDeltaDepth {
		return 0, nil, errors.New("delta chain too long")
	}
	src := pr.window(p, off)
	c, err := src.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	typ := int(c>>4) & 7
	size := int64(c & 0x0f)
	for shift := 4; c&0x80 != 0; shift += 7 {
		if c, err = src.ReadByte(); err != nil {
			return 0, nil, err
		}
		size |= int64(c&0x7f) << shift
	}
	var baseOff int64
	var baseHash plumbing.Hash
	switch typ {
	case packOfsDelta:
		if c, err = src.ReadByte(); err != nil {
			return 0, nil, err
		}
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if c, err = src.ReadByte(); err != nil {
				return 0, nil, err
			}
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		baseOff = off - rel
	case packRefDelta:
		if _, err := io.ReadFull(src, baseHash[:]); err != nil {
			return 0, nil, err
		}
	case packCommit, packTree, packBlob, packTag:
	default:
		return 0, nil, fmt.Errorf("object at %d: unknown type %d", off, typ)
	}
	if size < 0 || size > maxObjectSize {
		return 0, nil, fmt.Errorf("object at %d: size %d out of range", off, size)
	}
	var data []byte
	switch {
	case (part == throughCommitter || part == throughParents) && typ == packCommit:
		data, err = pr.inflateHead(src, size, part)
	case typ == packOfsDelta || typ == packRefDelta:
		// A delta is dead once applied: it is inflated into a buffer
		// kept for its depth in the chain (its base, read next, uses the
		// next one).
		for len(pr.deltas) <= depth {
			pr.deltas = append(pr.deltas, nil)
		}
		data, err = pr.inflate(src, size, pr.deltas[depth])
		if err == nil {
			pr.deltas[depth] = data
		}
	case part == wholeScratch:
		data, err = pr.inflate(src, size, pr.scratch)
		if err == nil {
			pr.scratch = data
		}
	default:
		data, err = pr.inflate(src, size, nil)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("object at %d: %w", off, err)
	}
	if typ != packOfsDelta && typ != packRefDelta {
		return typ, data, nil
	}
	var baseTyp int
	var base []byte
	if typ == packOfsDelta {
		baseTyp, base, err = pr.at(p, baseOff, depth+1)
	} else {
		bo, ok := p.find(baseHash)
		if !ok {
			return 0, nil, fmt.Errorf("delta base %s not in its pack", baseHash)
		}
		baseOff = bo
		baseTyp, base, err = pr.at(p, bo, depth+1)
	}
	if err != nil {
		return 0, nil, err
	}
	pr.remember(baseKey{p, baseOff}, baseTyp, base)
	var dst []byte
	if part == wholeScratch {
		dst = pr.scratch
	}
	out, err := applyDeltaTo(dst, base, data)
	if err != nil {
		return 0, nil, fmt.Errorf("object at %d: %w", off, err)
	}
	if part == wholeScratch {
		pr.scratch = out
	}
	return baseTyp, out, nil
}

// Pack windows: up to packWindows, of packWindowSize bytes when a read
// goes on from the last window (the commits a walk reads are stored
// together, mostly in the order it reads them), of smallWindowSize when it
// lands elsewhere (root trees and their delta bases are spread over the
// pack, and most are smaller than that): copying 32 KiB to read one would
// cost more than inflating it.
const (
	packWindows     = 32
	packWindowSize  = 32 << 10
	smallWindowSize = 4 << 10
	// maxWindowSize bounds a window reread to hold one object's stream
	// (see widen); a longer one is inflated with compress/zlib.
	maxWindowSize = 1 << 20
)

// packWindow is a stretch of a pack file in memory.
type packWindow struct {
	pack *packIndex
	off  int64
	data []byte
}

// window returns a reader positioned at off of pack p, from a window that
// holds off, or a new one read there.
func (pr *packReader) window(p *packIndex, off int64) *windowReader {
	for i := range pr.wins {
		w := &pr.wins[i]
		if w.pack == p && off >= w.off && off < w.off+int64(len(w.data)) {
			if i > 0 {
				cur := *w
				copy(pr.wins[1:i+1], pr.wins[:i])
				pr.wins[0] = cur
			}
			pr.src = windowReader{pack: p, pos: off, win: &pr.wins[0]}
			return &pr.src
		}
	}
	size := smallWindowSize
	if w := &pr.wins[0]; w.pack == p && off >= w.off && off-w.off-int64(len(w.data)) < packWindowSize {
		size = packWindowSize
	}
	return pr.readWindow(p, off, size)
}

// readWindow reads a new window of size bytes at off of pack p, in place
// of the least recently used one, and returns a reader positioned at off.
func (pr *packReader) readWindow(p *packIndex, off int64, size int) *windowReader {
	last := pr.wins[packWindows-1].data
	copy(pr.wins[1:], pr.wins[:packWindows-1])
	if cap(last) < size {
		last = make([]byte, max(size, packWindowSize))
	}
	n, _ := p.pack.ReadAt(last[:size], off)
	pr.wins[0] = packWindow{pack: p, off: off, data: last[:n]}
	pr.src = windowReader{pack: p, pos: off, win: &pr.wins[0]}
	return &pr.src
}

// widen rereads the window of src from its position, long enough for the
// zlib stream of an object of size bytes (zlib stores what it cannot
// compress, adding 5 bytes per 64 KiB and 6 in all), or returns nil when
// that is longer than maxWindowSize or the window already was that long.
// Callers widen once: a pack that ends inside the stream ends there again.
func (pr *packReader) widen(src *windowReader, size int64) *windowReader {
	need := size + size/64 + 64
	if need > maxWindowSize || int64(len(src.rest())) >= need {
		return nil
	}
	return pr.readWindow(src.pack, src.pos, int(need))
}

// windowReader reads a pack from a position: from its window while it
// lasts, then with ReadAt (an object larger than what is left of it).
type windowReader struct {
	pack    *packIndex
	pos     int64
	win     *packWindow
	spill   []byte
	spilled int
}

// rest returns what the window holds from the reader's position on.
func (r *windowReader) rest() []byte {
	if w := r.win; w != nil && r.pos >= w.off && r.pos < w.off+int64(len(w.data)) {
		return w.data[r.pos-w.off:]
	}
	return nil
}

// ReadByte implements io.ByteReader, which flate uses directly.
func (r *windowReader) ReadByte() (byte, error) {
	if w := r.win; r.pos >= w.off && r.pos < w.off+int64(len(w.data)) {
		c := w.data[r.pos-w.off]
		r.pos++
		return c, nil
	}
	var b [1]byte
	if _, err := r.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

// Read implements io.Reader.
func (r *windowReader) Read(b []byte) (int, error) {
	if w := r.win; w != nil && r.pos >= w.off && r.pos < w.off+int64(len(w.data)) {
		n := copy(b, w.data[r.pos-w.off:])
		r.pos += int64(n)
		return n, nil
	}
	if r.spilled < len(r.spill) {
		n := copy(b, r.spill[r.spilled:])
		r.spilled += n
		r.pos += int64(n)
		return n, nil
	}
	if cap(r.spill) < 64<<10 {
		r.spill = make([]byte, 64<<10)
	}
	n, err := r.pack.pack.ReadAt(r.spill[:cap(r.spill)], r.pos)
	r.spill, r.spilled = r.spill[:n], 0
	if n == 0 {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	return r.Read(b)
}

// byteReader is what flate reads without buffering it again.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// inflate reads size bytes of zlib data from src, into buf when it has
// the room.
func (pr *packReader) inflate(src *windowReader, size int64, buf []byte) ([]byte, error) {
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	for widened := false; ; widened = true {
		err := pr.inf.reset(src.rest(), buf, int(size))
		if err == nil {
			var out []byte
			if out, err = pr.inf.all(); err == nil {
				return out, nil
			}
		}
		if !errors.Is(err, errNeedInput) {
			break
		}
		// The window ends inside the stream: read one that holds it.
		if widened {
			break
		}
		wider := pr.widen(src, size)
		if wider == nil {
			break
		}
		src = wider
	}
	// compress/zlib reads streams of any length, and says how a damaged
	// one is damaged.
	return pr.inflateStream(src, size)
}

// inflateStream reads size bytes of zlib data from src with compress/zlib.
func (pr *packReader) inflateStream(src byteReader, size int64) ([]byte, error) {
	if err := pr.reset(src); err != nil {
		return nil, err
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(pr.zr, out); err != nil {
		return nil, err
	}
	return out, nil
}

// headChunk is how many more bytes of a commit inflateHead decodes before
// it looks for the end of the part again: a commit's tree and parent lines
// take 46 bytes and 48 more per parent.
const headChunk = 128

// inflateHead inflates a commit up to the end of part (or whole, when it
// is short or has no such end), into pr.head.
func (pr *packReader) inflateHead(src *windowReader, size int64, part commitPart) ([]byte, error) {
	f := &pr.inf
	for widened := false; ; widened = true {
		err := f.reset(src.rest(), pr.head, int(size))
		for want := headChunk; err == nil; want = len(f.out) + headChunk {
			if err = f.fill(want); err != nil {
				break
			}
			pr.head = f.out[:0]
			if end := part.end(f.out); end > 0 {
				return f.out[:end], nil
			}
			if f.done() {
				if len(f.out) != f.limit {
					err = errCorrupt
					break
				}
				return f.out, nil
			}
		}
		if !errors.Is(err, errNeedInput) || widened {
			break
		}
		wider := pr.widen(src, size)
		if wider == nil {
			break
		}
		src = wider
	}
	return pr.inflateHeadStream(src, size, part)
}

// inflateHeadStream is inflateHead with compress/zlib.
func (pr *packReader) inflateHeadStream(src byteReader, size int64, part commitPart) ([]byte, error) {
	if err := pr.reset(src); err != nil {
		return nil, err
	}
	out := make([]byte, size)
	n := 0
	for n < len(out) {
		m, err := pr.zr.Read(out[n:min(len(out), n+256)])
		n += m
		if end := part.end(out[:n]); end > 0 {
			return out[:end], nil
		}
		if err == io.EOF && n == len(out) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reset points the inflater at src.
func (pr *packReader) reset(src byteReader) error {
	if pr.zr == nil {
		zr, err := zlib.NewReader(src)
		if err != nil {
			return err
		}
		pr.zr = zr
		return nil
	}
	return pr.zr.(zlib.Resetter).Reset(src, nil)
}

// remember keeps a delta base, evicting the least recently used ones
// beyond deltaBaseCacheSize.
func (pr *packReader) remember(key baseKey, typ int, data []byte) {
	if _, ok := pr.cache[key]; ok || len(data) > deltaBaseCacheSize/4 {
		return
	}
	pr.cache[key] = pr.lru.PushFront(&baseEntry{key: key, typ: typ, data: data})
	pr.cacheSize += len(data)
	for pr.cacheSize > deltaBaseCacheSize {
		el := pr.lru.Back()
		e := el.Value.(*baseEntry)
		pr.lru.Remove(el)
		delete(pr.cache, e.key)
		pr.cacheSize -= len(e.data)
	}
}

// applyDelta applies a git delta to base.
func applyDelta(base, delta []byte) ([]byte, error) {
	return applyDeltaTo(nil, base, delta)
}

// applyDeltaTo applies a git delta to base, into dst when it has the room.
func applyDeltaTo(dst, base, delta []byte) ([]byte, error) {
	varint := func() (int, error) {
		v, shift := 0, 0
		for {
			if len(delta) == 0 {
				return 0, errors.New("truncated delta")
			}
			c := delta[0]
			delta = delta[1:]
			if shift > 56 {
				return 0, errors.New("delta size overflows")
			}
			v |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				return v, nil
			}
		}
	}
	srcSize, err := varint()
	if err != nil {
		return nil, err
	}
	if srcSize != len(base) {
		return nil, errors.New("delta base size mismatch")
	}
	dstSize, err := varint()
	if err != nil {
		return nil, err
	}
	// The declared size is only trusted once the result has it: a corrupt
	// delta must not allocate what it claims.
	out := dst[:0]
	if want := min(dstSize, len(base)+len(delta)); cap(out) < want {
		out = make([]byte, 0, want)
	}
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		if op&0x80 != 0 {
			var off, n int
			for i := 0; i < 4; i++ {
				if op&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated delta copy")
					}
					off |= int(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := 0; i < 3; i++ {
				if op&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated delta copy")
					}
					n |= int(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > len(base) || off < 0 {
				return nil, errors.New("delta copy out of range")
			}
			out = append(out, base[off:off+n]...)
		} else if op != 0 {
			n := int(op)
			if n > len(delta) {
				return nil, errors.New("truncated delta insert")
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
		} else {
			return nil, errors.New("delta opcode 0")
		}
	}
	if len(out) != dstSize {
		return nil, errors.New("delta result size mismatch")
	}
	return out, nil
}
