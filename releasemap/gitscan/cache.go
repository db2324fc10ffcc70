package gitscan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// cacheMagic starts every walk cache file; bump the version when the layout
// or the meaning of a record changes, and old files are then ignored.
const cacheMagic = "relmig-gitscan-walk v2\n"

// walkCache is what one run hands to the next for one repository and
// folder. Every entry is keyed by an object hash and derived only from that
// object (and the folder path), so no entry can go stale; entries the run
// did not use are dropped when it is saved.
type walkCache struct {
	dir     string
	commits map[plumbing.Hash]*commitRec
	// order, when it holds exactly the commits of commits, is the walk's
	// order (their commitRec.pos, parents set): the order they are saved in.
	order []*commitRec
	tags  map[plumbing.Hash]peeledRef
	sums  map[plumbing.Hash][32]byte // blob hash -> SHA-256 of its content
	// trees are the parsed folder trees (and their subtrees) that release
	// and head listings need: with them, a warm run reads no objects.
	trees map[plumbing.Hash][]treeEntry
}

func newWalkCache(dir string) *walkCache {
	return &walkCache{
		dir:     dir,
		commits: map[plumbing.Hash]*commitRec{},
		tags:    map[plumbing.Hash]peeledRef{},
		sums:    map[plumbing.Hash][32]byte{},
		trees:   map[plumbing.Hash][]treeEntry{},
	}
}

// cacheFile is where the walk cache of repository id and folder dir lives.
func cacheFile(cacheDir, id, dir string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + dir))
	return filepath.Join(cacheDir, "gitscan", hex.EncodeToString(sum[:12])+".walk")
}

// loadWalkCache reads a cache file. A missing, foreign or damaged file is
// not an error: the run walks from scratch and replaces it.
func loadWalkCache(file, dir string) *walkCache {
	b, err := os.ReadFile(file)
	if err != nil {
		return newWalkCache(dir)
	}
	c, err := decodeWalkCache(b, dir)
	if err != nil {
		return newWalkCache(dir)
	}
	return c
}

// save writes the cache atomically (temporary file, then rename), so that
// concurrent runs and crashes leave either the old or the new file.
func (c *walkCache) save(file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("create walk cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".walk-*")
	if err != nil {
		return fmt.Errorf("write walk cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(c.encode())
	if err := errors.Join(err, tmp.Close()); err != nil {
		return fmt.Errorf("write walk cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write walk cache: %w", err)
	}
	return nil
}

// The layout: magic, folder, commits (parents as indexes into the commit
// table, which the ancestor-closed set makes possible), peeled tags, blob
// sums, folder trees. Integers are varints. The file is built in memory
// and written at once.
func (c *walkCache) encode() []byte {
	e := encoder{b: make([]byte, 0, 64*len(c.commits)+1024)}
	e.raw([]byte(cacheMagic))
	e.str(c.dir)
	// The commits in the walk's order when that is what the cache holds
	// (every cold or grown scan): a commit's index is then its position,
	// with no table to build and look up.
	recs := c.order
	parentIndex := func(rec *commitRec, i int) uint64 { return uint64(rec.parentRecs[i].pos) }
	if len(recs) != len(c.commits) {
		recs = make([]*commitRec, 0, len(c.commits))
		index := make(map[plumbing.Hash]uint64, len(c.commits))
		for h, rec := range c.commits {
			index[h] = uint64(len(recs))
			recs = append(recs, rec)
		}
		parentIndex = func(rec *commitRec, i int) uint64 { return index[rec.parents[i]] }
	}
	e.uint(uint64(len(recs)))
	for _, rec := range recs {
		e.raw(rec.hash[:])
	}
	for _, rec := range recs {
		e.raw(rec.dirTree[:])
		var flags uint64
		if rec.hasTime {
			flags = 1
		}
		e.uint(flags)
		e.int(rec.when)
		e.int(int64(rec.tz))
		e.uint(uint64(len(rec.parents)))
		for i := range rec.parents {
			e.uint(parentIndex(rec, i))
		}
		e.uint(uint64(len(rec.adds)))
		for _, a := range rec.adds {
			e.str(a.path)
			e.str(a.renamedFrom)
			var merge uint64
			if a.merge {
				merge = 1
			}
			e.uint(merge)
		}
	}
	e.uint(uint64(len(c.tags)))
	for h, t := range c.tags {
		e.raw(h[:])
		e.raw(t.target[:])
		e.uint(uint64(t.kind))
		var flags uint64
		if t.annotated {
			flags |= 1
		}
		if t.hasTime {
			flags |= 2
		}
		e.uint(flags)
		e.int(t.when)
		e.int(int64(t.tz))
	}
	e.uint(uint64(len(c.sums)))
	for h, s := range c.sums {
		e.raw(h[:])
		e.raw(s[:])
	}
	e.uint(uint64(len(c.trees)))
	for h, entries := range c.trees {
		e.raw(h[:])
		e.uint(uint64(len(entries)))
		for _, te := range entries {
			e.str(te.name)
			e.uint(uint64(te.mode))
			e.raw(te.hash[:])
		}
	}
	return e.b
}

func decodeWalkCache(b []byte, dir string) (*walkCache, error) {
	// One string holds the whole file: names and paths are substrings of
	// it, so decoding allocates per record, not per string.
	d := decoder{b: string(b)}
	if d.raw(len(cacheMagic)) != cacheMagic || d.str() != dir {
		return nil, errors.New("not a walk cache for this folder")
	}
	c := newWalkCache(dir)
	n := d.count(20)
	c.commits = make(map[plumbing.Hash]*commitRec, n)
	hashes := make([]plumbing.Hash, n)
	for i := range hashes {
		copy(hashes[i][:], d.raw(20))
	}
	recs := make([]commitRec, n)
	for i := range recs {
		rec := &recs[i]
		rec.hash = hashes[i]
		copy(rec.dirTree[:], d.raw(20))
		rec.hasTime = d.uint()&1 != 0
		rec.when = d.int()
		rec.tz = int32(d.int())
		if np := d.count(1); np > 0 {
			rec.parents = make([]plumbing.Hash, np)
			rec.parentRecs = make([]*commitRec, np)
			for j := range rec.parents {
				k := d.uint()
				if k >= uint64(n) {
					return nil, errors.New("bad parent index")
				}
				rec.parents[j], rec.parentRecs[j] = hashes[k], &recs[k]
			}
		}
		if na := d.count(3); na > 0 {
			rec.adds = make([]addRec, na)
			for j := range rec.adds {
				rec.adds[j] = addRec{path: d.str(), renamedFrom: d.str(), merge: d.uint() == 1}
			}
		}
		c.commits[rec.hash] = rec
	}
	nt := d.count(42)
	c.tags = make(map[plumbing.Hash]peeledRef, nt)
	for range nt {
		var h plumbing.Hash
		var t peeledRef
		copy(h[:], d.raw(20))
		copy(t.target[:], d.raw(20))
		t.kind = plumbing.ObjectType(d.uint())
		flags := d.uint()
		t.annotated, t.hasTime = flags&1 != 0, flags&2 != 0
		t.when = d.int()
		t.tz = int32(d.int())
		c.tags[h] = t
	}
	ns := d.count(52)
	c.sums = make(map[plumbing.Hash][32]byte, ns)
	for range ns {
		var h plumbing.Hash
		var s [32]byte
		copy(h[:], d.raw(20))
		copy(s[:], d.raw(32))
		c.sums[h] = s
	}
	ntr := d.count(21)
	c.trees = make(map[plumbing.Hash][]treeEntry, ntr)
	for range ntr {
		var h plumbing.Hash
		copy(h[:], d.raw(20))
		entries := make([]treeEntry, d.count(22))
		for i := range entries {
			entries[i].name = d.str()
			entries[i].mode = uint32(d.uint())
			copy(entries[i].hash[:], d.raw(20))
		}
		c.trees[h] = entries
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errors.New("trailing bytes in walk cache")
	}
	return c, nil
}

// encoder appends the cache's primitive values to b.
type encoder struct{ b []byte }

func (e *encoder) raw(b []byte) { e.b = append(e.b, b...) }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) int(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// decoder reads what encoder wrote. After the first error it returns zero
// values, and err says what went wrong; callers check it once at the end.
type decoder struct {
	b   string
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errors.New("truncated walk cache")
	}
	d.b = ""
}

func (d *decoder) raw(n int) string {
	if n < 0 || n > len(d.b) {
		d.fail()
		return string(make([]byte, max(n, 0)))
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint() uint64 {
	var v uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.b = d.b[i+1:]
			return v
		}
	}
	d.fail()
	return 0
}

func (d *decoder) int() int64 {
	u := d.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads a length and checks it against the bytes left, given the
// smallest size of one item, so a damaged file cannot make us allocate
// without bound.
func (d *decoder) count(minSize int) int {
	v := d.uint()
	if v > uint64(len(d.b)/minSize) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	return d.raw(d.count(1))
}
