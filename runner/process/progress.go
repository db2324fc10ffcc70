package process

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ProgressPrefix starts a progress line: a script reports how far it got by
// printing, on a line of its own (stdout or stderr), "relmig:progress DONE"
// or "relmig:progress DONE/TOTAL", where DONE and TOTAL are decimal integers
// from 0 to 2^63-1 (no sign, no separators). Spaces or tabs may follow; a
// carriage return before the newline is ignored. A TOTAL of 0 means the
// total is unknown, like a line without one. Anything else that starts with
// the prefix is ordinary output.
const ProgressPrefix = "relmig:progress "

// maxProgressLine bounds how much of a line that starts like a progress
// line is held back from the live output while waiting for its end: a
// valid line is far shorter, so a longer one is ordinary output.
const maxProgressLine = 128

// Progress is what a script reported on its latest progress line.
type Progress struct {
	Done int64
	// Total is 0 when the script did not say.
	Total int64
	// At is when relmig read the line (wall clock); Elapsed how long the
	// command had been running then.
	At      time.Time
	Elapsed time.Duration
}

// Silence is a heartbeat: the command still runs and has printed nothing
// for Silent; it has run for Elapsed.
type Silence struct {
	Elapsed time.Duration
	Silent  time.Duration
}

// ParseProgress parses one line (its newline removed) of the progress
// protocol (see ProgressPrefix). The result's At and Elapsed are zero.
func ParseProgress(line []byte) (Progress, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(ProgressPrefix))
	if !ok {
		return Progress{}, false
	}
	rest = bytes.TrimRight(rest, " \t\r")
	num, den, hasTotal := bytes.Cut(rest, []byte{'/'})
	done, ok := parseCount(num)
	if !ok {
		return Progress{}, false
	}
	p := Progress{Done: done}
	if hasTotal {
		if p.Total, ok = parseCount(den); !ok {
			return Progress{}, false
		}
	}
	return p, true
}

// parseCount accepts 1 to 19 ASCII digits that fit an int64.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// progressFilter takes progress lines out of a byte stream that arrives in
// arbitrary pieces: they reach onProgress instead of pass. A line that
// starts like a progress line is held back until its end (at most
// maxProgressLine bytes); every other byte passes through at once.
type progressFilter struct {
	hold    []byte
	passing bool // in the middle of a line that is ordinary output
	found   func(Progress)
}

// write filters p, handing ordinary output to pass.
func (f *progressFilter) write(p []byte, pass func([]byte)) {
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if f.passing {
			if nl < 0 {
				pass(p)
				return
			}
			pass(p[:nl+1])
			p = p[nl+1:]
			f.passing = false
			continue
		}
		piece := p
		if nl >= 0 {
			piece = p[:nl+1]
		}
		p = p[len(piece):]
		if len(f.hold) == 0 && !startsLikeProgress(piece) {
			// The common case: ordinary output passes without a copy.
			pass(piece)
			f.passing = nl < 0
			continue
		}
		f.hold = append(f.hold, piece...)
		line := bytes.TrimSuffix(f.hold, []byte{'\n'})
		if !startsLikeProgress(line) || len(f.hold) > maxProgressLine {
			f.release(pass, nl < 0)
			continue
		}
		if nl < 0 {
			return // wait for the rest of the line
		}
		if pr, ok := ParseProgress(line); ok && f.found != nil {
			f.found(pr)
			f.hold = f.hold[:0]
			continue
		}
		f.release(pass, false)
	}
}

// startsLikeProgress reports whether b could be the start of a progress
// line: it agrees with ProgressPrefix as far as either goes.
func startsLikeProgress(b []byte) bool {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	n := min(len(b), len(ProgressPrefix))
	return string(b[:n]) == ProgressPrefix[:n]
}

// release passes what was held back; midLine says the line goes on.
func (f *progressFilter) release(pass func([]byte), midLine bool) {
	pass(f.hold)
	f.hold = f.hold[:0]
	f.passing = midLine
}

// flush ends the stream: a last line without a newline is parsed too.
func (f *progressFilter) flush(pass func([]byte)) {
	if len(f.hold) == 0 {
		return
	}
	if pr, ok := ParseProgress(f.hold); ok && f.found != nil {
		f.found(pr)
		f.hold = f.hold[:0]
		return
	}
	f.release(pass, false)
}

// activity tracks when the command last printed and reports progress and
// heartbeats to the Spec's callbacks, one call at a time.
type activity struct {
	start      time.Time
	lastOut    atomic.Int64 // nanoseconds after start
	mu         sync.Mutex   // serializes the callbacks
	onProgress func(Progress)
	onSilent   func(Silence)
	last       *Progress // the latest progress line; only the reading goroutine writes it before Run reads it
}

func newActivity(start time.Time, spec Spec) *activity {
	return &activity{start: start, onProgress: spec.OnProgress, onSilent: spec.OnSilent}
}

// output notes that the command printed something.
func (a *activity) output() { a.lastOut.Store(int64(time.Since(a.start))) }

// progress records a progress line and reports it.
func (a *activity) progress(p Progress) {
	p.At = time.Now()
	p.Elapsed = time.Since(a.start)
	a.last = &p
	if a.onProgress != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.onProgress(p)
	}
}

// heartbeat calls onSilent once the command has printed nothing for after,
// then every every while it stays silent, until done is closed. It returns
// a function that stops it and waits until no call is under way.
func (a *activity) heartbeat(after, every time.Duration) (stop func()) {
	if a.onSilent == nil || after <= 0 {
		return func() {}
	}
	if every <= 0 {
		every = after
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTimer(after)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			elapsed := time.Since(a.start)
			silent := elapsed - time.Duration(a.lastOut.Load())
			if silent < after {
				t.Reset(after - silent)
				continue
			}
			a.mu.Lock()
			a.onSilent(Silence{Elapsed: elapsed, Silent: silent})
			a.mu.Unlock()
			t.Reset(every)
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
