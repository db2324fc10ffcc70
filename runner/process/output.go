package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// redacted replaces every secret in everything the package writes or returns.
const redacted = "***"

// maxMarkerLine bounds the part of a line that the done marker is matched
// against: a script printing one 100 MB line must not make us hold it.
const maxMarkerLine = 64 << 10

// redactor replaces secrets in a byte stream that arrives in arbitrary
// pieces. At each position the leftmost match wins and, among matches there,
// the longest. It holds back at most the longest secret's length minus one
// byte, and its output does not depend on how the stream was cut: a secret
// split across two writes is still replaced.
type redactor struct {
	secrets [][]byte // longest first, so the longest secret wins at a position
	maxLen  int
	next    []int // per secret: where it next occurs in the current input
	carry   []byte
	out     []byte
}

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		r.secrets = append(r.secrets, []byte(s))
		r.maxLen = max(r.maxLen, len(s))
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	r.next = make([]int, len(r.secrets))
	return r
}

// write redacts p and returns the output that is final; the returned slice is
// only valid until the next call.
func (r *redactor) write(p []byte) []byte { return r.process(p, false) }

// flush returns what was held back, at the end of the stream.
func (r *redactor) flush() []byte { return r.process(nil, true) }

func (r *redactor) process(p []byte, final bool) []byte {
	if len(r.secrets) == 0 {
		return p
	}
	in := p
	if len(r.carry) > 0 {
		r.carry = append(r.carry, p...)
		in = r.carry
	}
	for i := range r.next {
		r.next[i] = -2 // not searched yet
	}
	out := r.out[:0]
	pos := 0
	for {
		q, s := r.nextMatch(in, pos)
		if !final {
			// Bytes at the end may be the start of a secret that the next
			// write completes: wait for them rather than guess.
			if h := r.holdFrom(in, pos, q); h >= 0 {
				out = append(out, in[pos:h]...)
				pos = h
				break
			}
		}
		if q < 0 {
			out = append(out, in[pos:]...)
			pos = len(in)
			break
		}
		out = append(out, in[pos:q]...)
		out = append(out, redacted...)
		pos = q + len(s)
	}
	// Keep the unfinished part for the next call; copy because in may alias
	// the carry buffer itself.
	r.carry = append(r.carry[:0:0], in[pos:]...)
	r.out = out
	return out
}

// nextMatch returns the leftmost, then longest, secret occurring in in at or
// after pos, or -1. bytes.Index keeps the common case, no secret at all, fast.
func (r *redactor) nextMatch(in []byte, pos int) (int, []byte) {
	best, bestS := -1, []byte(nil)
	for i, s := range r.secrets {
		if r.next[i] == -2 || (r.next[i] >= 0 && r.next[i] < pos) {
			r.next[i] = -1
			if k := bytes.Index(in[pos:], s); k >= 0 {
				r.next[i] = pos + k
			}
		}
		if n := r.next[i]; n >= 0 && (best < 0 || n < best) {
			best, bestS = n, s
		}
	}
	return best, bestS
}

// holdFrom returns the first position in [pos, upto] (upto < 0: to the end)
// from which the rest of in is a proper prefix of a secret, or -1. Only the
// last maxLen-1 bytes can be such a position.
func (r *redactor) holdFrom(in []byte, pos, upto int) int {
	last := len(in) - 1
	if upto >= 0 {
		last = upto
	}
	for p := max(pos, len(in)-r.maxLen+1); p <= last && p < len(in); p++ {
		rest := in[p:]
		for _, s := range r.secrets {
			if len(rest) < len(s) && bytes.HasPrefix(s, rest) {
				return p
			}
		}
	}
	return -1
}

// redactString redacts a whole string at once.
func redactString(s string, secrets []string) string {
	r := newRedactor(secrets)
	out := string(r.write([]byte(s)))
	return out + string(r.flush())
}

// tailBuffer keeps the last n bytes written to it, in at most 2n of memory.
type tailBuffer struct {
	n   int
	buf []byte
}

func (t *tailBuffer) write(p []byte) {
	if len(p) >= t.n {
		t.buf = append(t.buf[:0], p[len(p)-t.n:]...)
		return
	}
	if len(t.buf)+len(p) > 2*t.n {
		keep := t.n - len(p)
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-keep:]...)
	}
	t.buf = append(t.buf, p...)
}

// String returns the tail as valid UTF-8 (a cut may split a character, and
// binary output is not text), because history stores it as a string.
func (t *tailBuffer) String() string {
	b := t.buf
	if len(b) > t.n {
		b = b[len(b)-t.n:]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// linePrefixer writes a stream to w with prefix at the start of every line.
// It passes long lines through in pieces instead of collecting them, and it
// stops writing after the first error, so a closed terminal never blocks
// the script, whose output we keep draining.
type linePrefixer struct {
	w         io.Writer
	prefix    []byte
	midLine   bool
	buf       []byte
	err       error
	wroteSome bool
}

func (l *linePrefixer) write(p []byte) {
	if l.w == nil || l.err != nil || len(p) == 0 {
		return
	}
	b := l.buf[:0]
	for len(p) > 0 {
		if !l.midLine {
			b = append(b, l.prefix...)
			l.midLine = true
		}
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			b = append(b, p...)
			break
		}
		b = append(b, p[:nl+1]...)
		p = p[nl+1:]
		l.midLine = false
	}
	l.buf = b
	l.wroteSome = true
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("write live output: %w", err)
	}
}

// finish ends an unterminated last line so the caller's next message starts
// on a line of its own.
func (l *linePrefixer) finish() {
	if l.w == nil || l.err != nil || !l.midLine {
		return
	}
	l.midLine = false
	if _, err := l.w.Write([]byte{'\n'}); err != nil {
		l.err = fmt.Errorf("write live output: %w", err)
	}
}

// markerMatcher looks for the done marker line by line, including in the
// unterminated line seen so far, so that a marker printed without a newline
// (or split across writes) is still found.
type markerMatcher struct {
	re   *regexp.Regexp
	line []byte
	seen bool
}

// write reports whether the marker was seen for the first time in p.
func (m *markerMatcher) write(p []byte) bool {
	if m.re == nil || m.seen {
		return false
	}
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		piece := p
		if nl >= 0 {
			piece = p[:nl]
			p = p[nl+1:]
		} else {
			p = nil
		}
		grew := false
		if room := maxMarkerLine - len(m.line); room > 0 && len(piece) > 0 {
			m.line = append(m.line, piece[:min(room, len(piece))]...)
			grew = true
		}
		// A line that stopped growing at the cap was matched already.
		if (grew || nl >= 0) && m.re.Match(m.line) {
			m.seen = true
			m.line = nil
			return true
		}
		if nl >= 0 {
			m.line = m.line[:0]
		}
	}
	return false
}

// sink fans the child's combined output out to the redactor and from there
// to the log file, the marker matcher and, without progress lines (which
// go to the activity instead), the tail and the live writer. Only the
// goroutine that reads the pipe uses it.
type sink struct {
	red      *redactor
	log      *os.File
	logErr   error
	tail     tailBuffer
	live     linePrefixer
	marker   markerMatcher
	onMark   func()
	progress progressFilter
	act      *activity
}

func (s *sink) write(p []byte) {
	s.emit(s.red.write(p))
}

func (s *sink) emit(p []byte) {
	if len(p) == 0 {
		return
	}
	if s.log != nil && s.logErr == nil {
		if _, err := s.log.Write(p); err != nil {
			s.logErr = fmt.Errorf("write log file: %w", err)
		}
	}
	if s.act != nil {
		s.act.output()
	}
	s.progress.write(p, s.pass)
	if s.marker.write(p) && s.onMark != nil {
		s.onMark()
	}
}

// pass writes ordinary output (not progress lines) to the tail and live.
func (s *sink) pass(p []byte) {
	s.tail.write(p)
	s.live.write(p)
}

// copyFrom reads r until EOF or a read error (a deadline set by the caller
// to stop waiting) and returns that error unless it is the ordinary end.
func (s *sink) copyFrom(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// finish flushes what the redactor held back and ends the live output.
func (s *sink) finish() {
	s.emit(s.red.flush())
	s.progress.flush(s.pass)
	s.live.finish()
}
