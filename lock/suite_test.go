package lock_test

import (
	"context"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/testdb"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/lock/locktest"
)

// TestSuite: the MongoDB lease lock against the race suite every lock must
// pass, on the development server.
func TestSuite(t *testing.T) {
	locktest.Run(t, locktest.Implementation{
		Held: lock.ErrHeld,
		Fresh: func(t *testing.T) func(string) locktest.Locker {
			_, db := testdb.New(t)
			store, err := history.NewMongoStore(db)
			if err != nil {
				t.Fatal(err)
			}
			return func(run string) locktest.Locker {
				l, err := lock.New(db, store, lock.Owner{RunID: run, Host: "suite", PID: 1},
					lock.WithLeaseDuration(time.Second), lock.WithRetryInterval(20*time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				return mongoLocker{l}
			}
		},
	})
}

type mongoLocker struct{ l *lock.Locker }

func (m mongoLocker) Acquire(ctx context.Context, wait time.Duration) (locktest.Lease, error) {
	var lease *lock.Lease
	var err error
	if wait > 0 {
		lease, err = m.l.AcquireWait(ctx, wait)
	} else {
		lease, err = m.l.Acquire(ctx)
	}
	if err != nil {
		return nil, err
	}
	return mongoLease{lease}, nil
}

type mongoLease struct{ *lock.Lease }

func (m mongoLease) TookOver() bool { return m.Superseded() != nil }
