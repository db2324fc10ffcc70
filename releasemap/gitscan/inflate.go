package gitscan

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
)

// A cold scan inflates tens of thousands of small zlib streams (commits,
// root trees, deltas). compress/flate spends most of that time building its
// Huffman tables and reading its input one byte at a time through an
// interface, and it always decodes a whole deflate block into its window
// before returning anything: asking it for a commit's first lines still
// decodes the message and signature. This inflater decodes from a byte
// slice into a flat output slice (an object is inflated whole in memory
// anyway, so back-references index the output instead of a ring), and it
// can stop after any number of output bytes and go on later, so that a
// commit is decoded only up to its parent lines.
//
// It stops with errNeedInput when the input slice ends first: the caller
// then reads the object with compress/zlib from the pack, which handles any
// length of input. Streams are those of a pack (zlib, no preset dictionary).

// errNeedInput reports that the input ended before the stream did.
var errNeedInput = errors.New("inflate: input ends inside the stream")

var (
	errCorrupt  = errors.New("inflate: corrupt deflate stream")
	errTooLarge = errors.New("inflate: stream longer than the object's size")
)

// Huffman decoding: codes of up to huffFastBits bits are decoded with one
// table lookup; longer ones (rare in git objects) with a canonical-code
// walk, one bit at a time.
const (
	huffFastBits = 9
	maxCodeLen   = 15
	maxLitCodes  = 288 // 286 used, and 2 more in the fixed code
	maxDistCodes = 32  // 30 used, and 2 more in the fixed code
)

// huffman is one canonical Huffman code.
type huffman struct {
	// fast is indexed by the next huffFastBits input bits (codes are
	// stored bit-reversed, as deflate sends them): symbol<<4 | length, or
	// zero when the code is longer (or unused).
	fast   [1 << huffFastBits]uint16
	count  [maxCodeLen + 1]uint16 // number of codes of each length
	symbol [maxLitCodes]uint16    // symbols ordered by code
	// empty marks a code without symbols (a block of literals only has
	// no distance codes); decoding from it is an error.
	empty bool
}

// build makes the code whose symbols have the given code lengths (zero:
// unused). As compress/flate does, it rejects over-subscribed codes and
// incomplete ones other than a single code of length 1.
func (h *huffman) build(lengths []uint8) error {
	h.count = [maxCodeLen + 1]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	used := 0
	for l := 1; l <= maxCodeLen; l++ {
		left <<= 1
		left -= int(h.count[l])
		used += int(h.count[l])
		if left < 0 {
			return errCorrupt // over-subscribed
		}
	}
	// Every entry is rewritten or cleared: a stale one would decode a
	// symbol of the previous block's code.
	h.fast = [1 << huffFastBits]uint16{}
	h.empty = used == 0
	if h.empty {
		return nil
	}
	if left > 0 && !(used == 1 && h.count[1] == 1) {
		return errCorrupt // incomplete
	}
	var offs [maxCodeLen + 2]uint16
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	// The fast table: walk the codes in canonical order, each the next
	// integer of its length.
	code, k := 0, 0
	for l := 1; l <= huffFastBits; l++ {
		for i := 0; i < int(h.count[l]); i++ {
			rev := reverseBits(uint16(code), l)
			entry := h.symbol[k]<<4 | uint16(l)
			for j := int(rev); j < 1<<huffFastBits; j += 1 << l {
				h.fast[j] = entry
			}
			code++
			k++
		}
		code <<= 1
	}
	return nil
}

// reverseBits reverses the low n bits of v.
func reverseBits(v uint16, n int) uint16 {
	var r uint16
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// Length and distance codes (RFC 1951, 3.2.5): base values and numbers of
// extra bits, indexed by symbol-257 and by distance symbol. Read-only.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// codeLenOrder is the order of the code length code's lengths.
	codeLenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// Block states of the inflater between calls to fill.
const (
	blockNone    = iota // between blocks
	blockStored         // inside a stored block, stored bytes left
	blockHuffman        // inside a compressed block
	blockDone           // after the final block
)

// inflater decodes one zlib stream at a time; reset starts the next one,
// reusing the tables and the output buffer.
type inflater struct {
	in    []byte
	pos   int    // next byte of in not yet in bits
	bits  uint64 // input bits not yet used, least significant first
	nbits uint
	out   []byte
	limit int // the object's size: the stream must not produce more

	state  int
	final  bool // the current block is the last
	stored int  // bytes left in the current stored block
	lit    huffman
	dist   huffman
	// fixedLit and fixedDist hold the fixed code (RFC 1951, 3.2.6), built
	// on first use, which lit and dist then point at instead of copying.
	fixedLit, fixedDist *huffman
	curLit, curDist     *huffman
	lengths             [maxLitCodes + maxDistCodes]uint8
	clen                huffman
}

// reset starts inflating the zlib stream at the start of in into buf[:0]
// (grown as needed), for an object of size bytes.
func (f *inflater) reset(in, buf []byte, size int) error {
	f.in, f.pos, f.bits, f.nbits = in, 0, 0, 0
	f.out, f.limit = buf[:0], size
	f.state, f.final = blockNone, false
	if len(in) < 2 {
		return errNeedInput
	}
	cmf, flg := in[0], in[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return errCorrupt
	}
	f.pos = 2
	return nil
}

// all decodes the rest of the stream and checks that it produced exactly
// the object's size and ends with the right checksum.
func (f *inflater) all() ([]byte, error) {
	// The output never exceeds limit, so this returns nil only at the end.
	if err := f.fill(f.limit + 1); err != nil {
		return nil, err
	}
	if len(f.out) != f.limit {
		return nil, errCorrupt
	}
	if err := f.finish(); err != nil {
		return nil, err
	}
	return f.out, nil
}

// done reports whether the stream's final block has been decoded.
func (f *inflater) done() bool { return f.state == blockDone }

// finish checks the stream's Adler-32 trailer against the output, once
// done.
func (f *inflater) finish() error {
	// Give back the whole bytes still in the bit buffer: the trailer starts
	// at the next byte boundary.
	f.pos -= int(f.nbits / 8)
	f.bits, f.nbits = 0, 0
	if f.pos+4 > len(f.in) {
		return errNeedInput
	}
	if binary.BigEndian.Uint32(f.in[f.pos:]) != adler32.Checksum(f.out) {
		return errCorrupt
	}
	f.pos += 4
	return nil
}

// refill moves input bytes into the bit buffer until it holds at least 56
// bits or the input ends.
func (f *inflater) refill() {
	if f.pos+8 <= len(f.in) {
		f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nbits
		f.pos += int((63 - f.nbits) >> 3)
		f.nbits |= 56
		return
	}
	for f.nbits <= 56 && f.pos < len(f.in) {
		f.bits |= uint64(f.in[f.pos]) << f.nbits
		f.pos++
		f.nbits += 8
	}
}

// need makes sure n (at most 56) bits are in the bit buffer.
func (f *inflater) need(n uint) error {
	if f.nbits < n {
		f.refill()
		if f.nbits < n {
			return errNeedInput
		}
	}
	return nil
}

// take removes and returns the next n bits (at most 32), which need has
// made sure are there.
func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v
}

// decode reads one symbol of code h.
func (f *inflater) decode(h *huffman) (int, error) {
	if f.nbits < maxCodeLen {
		f.refill()
	}
	if e := h.fast[f.bits&(1<<huffFastBits-1)]; e != 0 {
		l := uint(e & 15)
		if l > f.nbits {
			return 0, errNeedInput
		}
		f.bits >>= l
		f.nbits -= l
		return int(e >> 4), nil
	}
	if h.empty {
		return 0, errCorrupt
	}
	// The canonical-code walk (as zlib's puff.c): code is the bits read
	// so far, first the first code of the current length, index the
	// position of that code's symbol.
	code, first, index := 0, 0, 0
	for l := uint(1); l <= maxCodeLen; l++ {
		if l > f.nbits {
			return 0, errNeedInput
		}
		code |= int(f.bits>>(l-1)) & 1
		count := int(h.count[l])
		if code-count < first {
			f.bits >>= l
			f.nbits -= l
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, errCorrupt
}

// fill decodes until at least n bytes are out (or the stream ends).
// Decoding stops between symbols, so out may hold up to 257 bytes more.
// After an error the stream cannot be resumed: only reset is valid.
func (f *inflater) fill(n int) error {
	for len(f.out) < n {
		switch f.state {
		case blockDone:
			return nil
		case blockNone:
			if f.final {
				f.state = blockDone
				return nil
			}
			if err := f.blockHeader(); err != nil {
				return err
			}
		case blockStored:
			if f.stored == 0 {
				f.state = blockNone
				continue
			}
			if f.pos == len(f.in) {
				return errNeedInput
			}
			m := min(f.stored, len(f.in)-f.pos, n-len(f.out))
			if len(f.out)+m > f.limit {
				return errTooLarge
			}
			f.out = append(f.out, f.in[f.pos:f.pos+m]...)
			f.pos += m
			f.stored -= m
		case blockHuffman:
			if err := f.huffmanSymbols(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// blockHeader reads a block's header and, for a compressed block, its code.
func (f *inflater) blockHeader() error {
	if err := f.need(3); err != nil {
		return err
	}
	f.final = f.take(1) == 1
	switch f.take(2) {
	case 0:
		// Stored: skip to the byte boundary, give back the whole bytes in
		// the bit buffer, read LEN and NLEN.
		f.take(f.nbits % 8)
		f.pos -= int(f.nbits / 8)
		f.bits, f.nbits = 0, 0
		if f.pos+4 > len(f.in) {
			return errNeedInput
		}
		ln := binary.LittleEndian.Uint16(f.in[f.pos:])
		nln := binary.LittleEndian.Uint16(f.in[f.pos+2:])
		if ln != ^nln {
			return errCorrupt
		}
		f.pos += 4
		f.stored, f.state = int(ln), blockStored
		return nil
	case 1:
		if f.fixedLit == nil {
			if err := f.buildFixed(); err != nil {
				return err
			}
		}
		f.curLit, f.curDist = f.fixedLit, f.fixedDist
	case 2:
		if err := f.dynamicCodes(); err != nil {
			return err
		}
		f.curLit, f.curDist = &f.lit, &f.dist
	default:
		return errCorrupt
	}
	f.state = blockHuffman
	return nil
}

// buildFixed builds the fixed literal/length and distance codes.
func (f *inflater) buildFixed() error {
	var l [maxLitCodes]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	lit, dist := &huffman{}, &huffman{}
	if err := lit.build(l[:]); err != nil {
		return err
	}
	var d [maxDistCodes]uint8
	for i := range d {
		d[i] = 5
	}
	if err := dist.build(d[:]); err != nil {
		return err
	}
	f.fixedLit, f.fixedDist = lit, dist
	return nil
}

// dynamicCodes reads a dynamic block's code lengths and builds its codes.
func (f *inflater) dynamicCodes() error {
	if err := f.need(14); err != nil {
		return err
	}
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errCorrupt
	}
	var cl [19]uint8
	for i := range nclen {
		if err := f.need(3); err != nil {
			return err
		}
		cl[codeLenOrder[i]] = uint8(f.take(3))
	}
	if err := f.clen.build(cl[:]); err != nil {
		return err
	}
	if f.clen.empty {
		return errCorrupt
	}
	lengths := f.lengths[:nlit+ndist]
	for i := 0; i < len(lengths); {
		sym, err := f.decode(&f.clen)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return errCorrupt
			}
			if err := f.need(2); err != nil {
				return err
			}
			rep, val = 3+int(f.take(2)), lengths[i-1]
		case 17:
			if err := f.need(3); err != nil {
				return err
			}
			rep = 3 + int(f.take(3))
		default:
			if err := f.need(7); err != nil {
				return err
			}
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lengths) {
			return errCorrupt
		}
		for range rep {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return errCorrupt // no end-of-block code
	}
	if err := f.lit.build(lengths[:nlit]); err != nil {
		return err
	}
	return f.dist.build(lengths[nlit:])
}

// huffmanSymbols decodes a compressed block's symbols until at least n
// bytes are out or the block ends.
func (f *inflater) huffmanSymbols(n int) error {
	lit, dist := f.curLit, f.curDist
	for len(f.out) < n {
		sym, err := f.decode(lit)
		if err != nil {
			return err
		}
		if sym < 256 {
			if len(f.out) >= f.limit {
				return errTooLarge
			}
			f.out = append(f.out, byte(sym))
			continue
		}
		if sym == 256 {
			f.state = blockNone
			return nil
		}
		sym -= 257
		if sym >= len(lengthBase) {
			return errCorrupt
		}
		if err := f.need(uint(lengthExtra[sym])); err != nil {
			return err
		}
		length := int(lengthBase[sym]) + int(f.take(uint(lengthExtra[sym])))
		ds, err := f.decode(dist)
		if err != nil {
			return err
		}
		if ds >= len(distBase) {
			return errCorrupt
		}
		if err := f.need(uint(distExtra[ds])); err != nil {
			return err
		}
		d := int(distBase[ds]) + int(f.take(uint(distExtra[ds])))
		if d > len(f.out) {
			return errCorrupt
		}
		if len(f.out)+length > f.limit {
			return errTooLarge
		}
		f.copyMatch(d, length)
	}
	return nil
}

// copyMatch appends length bytes copied from d bytes back. When they
// overlap (d < length) the copied stretch repeats with period d, so it is
// copied in chunks that are whole periods, each at most as long as what is
// already repeated.
func (f *inflater) copyMatch(d, length int) {
	start := len(f.out) - d
	for length > 0 {
		n := min(length, len(f.out)-start)
		f.out = append(f.out, f.out[start:start+n]...)
		length -= n
	}
}
