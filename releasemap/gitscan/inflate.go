package gitscan

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
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
// then gives it a longer stretch of the pack, or reads the object with
// compress/zlib, which handles any length of input. Streams are those of a
// pack (zlib, no preset dictionary).

// errNeedInput reports that the input ended before the stream did.
var errNeedInput = errors.New("inflate: input ends inside the stream")

var (
	errCorrupt  = errors.New("inflate: corrupt deflate stream")
	errTooLarge = errors.New("inflate: stream longer than the object's size")
)

// Huffman decoding: codes of up to a table's bits (litFastBits for
// literals and lengths, distFastBits for distances and code lengths) are
// decoded with one table lookup; longer ones, rare in git objects, with a
// canonical-code walk, one bit at a time. The tables are rebuilt for every
// block, and most blocks are small (a commit is one block), so they are
// only as large as most codes need.
const (
	litFastBits  = 9
	distFastBits = 7 // code length codes have at most 7 bits
	maxCodeLen   = 15
	maxLitCodes  = 288 // 286 used, and 2 more in the fixed code
	maxDistCodes = 32  // 30 used, and 2 more in the fixed code
)

// huffman is one canonical Huffman code.
type huffman struct {
	// fast[:1<<bits] is indexed by the next bits input bits (codes are
	// stored bit-reversed, as deflate sends them): symbol<<4 | length, or
	// zero when the code is longer (or unused).
	fast   [1 << litFastBits]uint16
	bits   uint8
	count  [maxCodeLen + 1]uint16 // number of codes of each length
	symbol [maxLitCodes]uint16    // symbols ordered by code
	// empty marks a code without symbols (a block of literals only has
	// no distance codes); decoding from it is an error.
	empty bool
}

// build makes the code whose symbols have the given code lengths (zero:
// unused), with a table of fastBits bits. As compress/flate does, it
// rejects over-subscribed codes and incomplete ones other than a single
// code of length 1.
func (h *huffman) build(lengths []uint8, fastBits uint8) error {
	var count [maxCodeLen + 1]uint16
	var used [maxLitCodes]uint16
	syms := used[:0]
	for s, l := range lengths {
		if l != 0 {
			count[l]++
			syms = append(syms, uint16(s))
		}
	}
	return h.buildFrom(lengths, syms, &count, fastBits)
}

// buildFrom is build given the symbols whose length is not zero, in
// increasing order, and the number of codes of each length: a dynamic
// block's header yields both as it is read, and most of a small block's
// literal code is unused.
func (h *huffman) buildFrom(lengths []uint8, syms []uint16, count *[maxCodeLen + 1]uint16, fastBits uint8) error {
	count[0] = 0
	h.count = *count
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left <<= 1
		left -= int(count[l])
		if left < 0 {
			return errCorrupt // over-subscribed
		}
	}
	h.bits = fastBits
	h.empty = len(syms) == 0
	if h.empty {
		// No entry may be left from the previous code.
		clear(h.fast[:1<<fastBits])
		return nil
	}
	if left > 0 && !(len(syms) == 1 && count[1] == 1) {
		return errCorrupt // incomplete
	}
	var offs [maxCodeLen + 1]uint16
	for l := 1; l < maxCodeLen; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	for _, s := range syms {
		l := lengths[s]
		h.symbol[offs[l]] = s
		offs[l]++
	}
	// The fast table, grown one bit at a time: fast[:1<<l] decodes the
	// codes of up to l bits. Growing it by a bit repeats it (a shorter
	// code's entries recur every 1<<its length), then each code of the
	// new length takes its own entry, its bits reversed (deflate sends
	// codes from their first bit). Every entry ends up written, so none
	// is left from the previous code.
	fast := h.fast[:]
	fast[0] = 0
	code, k := 0, 0
	for l := 1; l <= int(fastBits); l++ {
		half := 1 << (l - 1)
		copy(fast[half:2*half], fast[:half])
		for range int(count[l]) {
			fast[bits.Reverse16(uint16(code))>>(16-l)] = h.symbol[k]<<4 | uint16(l)
			code++
			k++
		}
		code <<= 1
	}
	return nil
}

// slow decodes a code longer than the fast table's bits (or an unused
// one) from the next nbits bits of bitbuf, with the canonical-code walk of
// zlib's puff.c: code is the bits read so far, first the first code of the
// current length, index the position of that code's symbol. It returns the
// symbol and the code's length.
func (h *huffman) slow(bitbuf uint64, nbits uint) (int, uint, error) {
	if h.empty {
		return 0, 0, errCorrupt
	}
	code, first, index := 0, 0, 0
	for l := uint(1); l <= maxCodeLen; l++ {
		if l > nbits {
			return 0, 0, errNeedInput
		}
		code |= int(bitbuf>>(l-1)) & 1
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), l, nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, 0, errCorrupt
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
	// on first use; curLit and curDist point at the current block's code,
	// fixed or lit and dist.
	fixedLit, fixedDist *huffman
	curLit, curDist     *huffman
	lengths             [maxLitCodes + maxDistCodes]uint8
	syms                [maxLitCodes + maxDistCodes]uint16 // dynamicCodes' scratch
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
	f.pos, f.bits, f.nbits = refillBits(f.in, f.pos, f.bits, f.nbits)
}

// refillBits is refill on a bit buffer held in variables. Bits above nbits
// may be set: they are the next input bits, which the next refill ors in
// again at the same place.
func refillBits(in []byte, pos int, bitbuf uint64, nbits uint) (int, uint64, uint) {
	if pos+8 <= len(in) {
		bitbuf |= binary.LittleEndian.Uint64(in[pos:]) << nbits
		return pos + int((63-nbits)>>3), bitbuf, nbits | 56
	}
	for nbits <= 56 && pos < len(in) {
		bitbuf |= uint64(in[pos]) << nbits
		pos++
		nbits += 8
	}
	return pos, bitbuf, nbits
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
	if err := lit.build(l[:], litFastBits); err != nil {
		return err
	}
	var d [maxDistCodes]uint8
	for i := range d {
		d[i] = 5
	}
	if err := dist.build(d[:], distFastBits); err != nil {
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
	if err := f.clen.build(cl[:], distFastBits); err != nil {
		return err
	}
	if f.clen.empty {
		return errCorrupt
	}
	// The lengths are counted as they are read, and only those that are
	// not zero are stored: runs of zeros, most of a small block's literal
	// code, cost nothing, and buildFrom reads the lengths of syms only.
	var litCount, distCount [maxCodeLen + 1]uint16
	syms := f.syms[:0]
	lengths := f.lengths[:nlit+ndist]
	prev := uint8(0)
	eob := false // the end-of-block symbol has a code
	// The bit buffer is in local variables, as in huffmanSymbols: a small
	// block's header is most of its decoding.
	// An error ends the stream, so only the end of the loop stores them.
	in, pos, bitbuf, nbits := f.in, f.pos, f.bits, f.nbits
	clen := &f.clen
	for i := 0; i < len(lengths); {
		// A code length code and its extra bits take at most 14 bits.
		if nbits < 14 {
			pos, bitbuf, nbits = refillBits(in, pos, bitbuf, nbits)
		}
		e := clen.fast[bitbuf&(1<<distFastBits-1)]
		l, sym := uint(e&15), int(e>>4)
		if e == 0 {
			var err error
			if sym, l, err = clen.slow(bitbuf, nbits); err != nil {
				return err
			}
		}
		if l > nbits {
			return errNeedInput
		}
		bitbuf >>= l
		nbits -= l
		rep, val := 1, uint8(sym)
		if sym >= 16 {
			// 16: the previous length 3-6 times (2 extra bits); 17: zero
			// 3-10 times (3 bits); 18: zero 11-138 times (7 bits).
			x, base := uint(2), 3
			switch sym {
			case 17:
				x = 3
			case 18:
				x, base = 7, 11
			}
			if x > nbits {
				return errNeedInput
			}
			rep = base + int(bitbuf&(1<<x-1))
			bitbuf >>= x
			nbits -= x
			val = 0
			if sym == 16 {
				if i == 0 {
					return errCorrupt
				}
				val = prev
			}
		}
		if i+rep > len(lengths) {
			return errCorrupt
		}
		if val != 0 {
			// A run may go on from the literal code into the distance code.
			lit := min(max(nlit-i, 0), rep)
			litCount[val] += uint16(lit)
			distCount[val] += uint16(rep - lit)
			eob = eob || i <= 256 && 256 < i+rep
			for k := i; k < i+rep; k++ {
				lengths[k] = val
				syms = append(syms, uint16(k))
			}
		}
		prev = val
		i += rep
	}
	f.pos, f.bits, f.nbits = pos, bitbuf, nbits
	if !eob {
		return errCorrupt // no end-of-block code
	}
	// syms is increasing: the literal code's symbols, then the distance
	// code's, numbered from nlit.
	nl := 0
	for nl < len(syms) && int(syms[nl]) < nlit {
		nl++
	}
	distSyms := syms[nl:]
	for k := range distSyms {
		distSyms[k] -= uint16(nlit)
	}
	if err := f.lit.buildFrom(lengths[:nlit], syms[:nl], &litCount, litFastBits); err != nil {
		return err
	}
	return f.dist.buildFrom(lengths[nlit:], distSyms, &distCount, distFastBits)
}

// huffmanSymbols decodes a compressed block's symbols until at least n
// bytes are out or the block ends. It is decode and copyMatch written out
// with the bit buffer in local variables: this loop is where a large
// object's inflating time goes.
func (f *inflater) huffmanSymbols(n int) error {
	lit, dist := f.curLit, f.curDist
	litMask, distMask := uint64(1)<<lit.bits-1, uint64(1)<<dist.bits-1
	in, pos, bitbuf, nbits := f.in, f.pos, f.bits, f.nbits
	out, limit := f.out, f.limit
	err := error(nil)
	for len(out) < n {
		// One refill holds a whole length and distance (at most 48 bits).
		if nbits < 48 {
			pos, bitbuf, nbits = refillBits(in, pos, bitbuf, nbits)
		}
		e := lit.fast[bitbuf&litMask]
		l, sym := uint(e&15), int(e>>4)
		if e == 0 {
			if sym, l, err = lit.slow(bitbuf, nbits); err != nil {
				break
			}
		}
		if l > nbits {
			err = errNeedInput
			break
		}
		bitbuf >>= l
		nbits -= l
		if sym < 256 {
			if len(out) >= limit {
				err = errTooLarge
				break
			}
			out = append(out, byte(sym))
			continue
		}
		if sym == 256 {
			f.state = blockNone
			break
		}
		sym -= 257
		if sym >= len(lengthBase) {
			err = errCorrupt
			break
		}
		x := uint(lengthExtra[sym])
		if x > nbits {
			err = errNeedInput
			break
		}
		length := int(lengthBase[sym]) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		nbits -= x
		e = dist.fast[bitbuf&distMask]
		l, ds := uint(e&15), int(e>>4)
		if e == 0 {
			if ds, l, err = dist.slow(bitbuf, nbits); err != nil {
				break
			}
		}
		if l > nbits {
			err = errNeedInput
			break
		}
		bitbuf >>= l
		nbits -= l
		if ds >= len(distBase) {
			err = errCorrupt
			break
		}
		x = uint(distExtra[ds])
		if x > nbits {
			err = errNeedInput
			break
		}
		d := int(distBase[ds]) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		nbits -= x
		if d > len(out) {
			err = errCorrupt
			break
		}
		if len(out)+length > limit {
			err = errTooLarge
			break
		}
		out = copyMatch(out, d, length)
	}
	f.pos, f.bits, f.nbits, f.out = pos, bitbuf, nbits, out
	return err
}

// copyMatch appends to out length bytes copied from d bytes back. When they
// overlap (d < length) the copied stretch repeats with period d, so it is
// copied in chunks that are whole periods, each at most as long as what is
// already repeated.
func copyMatch(out []byte, d, length int) []byte {
	start := len(out) - d
	if length <= d {
		return append(out, out[start:start+length]...)
	}
	for length > 0 {
		n := min(length, len(out)-start)
		out = append(out, out[start:start+n]...)
		length -= n
	}
	return out
}
