// Package syncbuf is a byte buffer that one goroutine writes while others
// read it, for tests that watch a child process's output as it arrives.
package syncbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer collects output; the zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WaitFor polls until the buffer contains s, failing the test after a
// generous limit (never a speed assertion).
func (b *Buffer) WaitFor(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Errorf("output never contained %q; got %q", s, b.String())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
