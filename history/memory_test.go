package history_test

import (
	"testing"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/history/historytest"
)

// TestMemoryStoreConformance: the in-memory store passes the suite the
// MongoDB store passes, without a server.
func TestMemoryStoreConformance(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store { return history.NewMemoryStore() })
}
