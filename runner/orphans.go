package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner/process"
)

// orphanWindow is how far back waitForOrphans looks for interrupted
// attempts: a guard outlives its relmig by the grace period only, so an
// attempt interrupted earlier than this cannot have one alive.
const orphanWindow = 48 * time.Hour

// waitForOrphans waits until no attempt recorded as interrupted on this
// host still has a live guard (the script of a run that was killed, or
// that lost its lock while stalled, may still be stopping), and returns an
// *OrphanError if one outlives the wait.
func (r *Runner) waitForOrphans(ctx context.Context) error {
	host := r.opts.Actor.Host
	if host == "" {
		return nil
	}
	recent, err := r.store.List(ctx, history.Filter{Status: history.Interrupted, Since: time.Now().Add(-orphanWindow)})
	if err != nil {
		return fmt.Errorf("look for earlier attempts still alive on this host: %w", err)
	}
	var live []history.Attempt
	for _, a := range recent {
		if a.By.Host == host && a.RunID != r.opts.RunID {
			live = append(live, a)
		}
	}
	wait := r.opts.OrphanWait
	if wait <= 0 {
		wait = max(r.opts.Grace, process.DefaultGrace) + 5*time.Second
	}
	deadline := time.Now().Add(wait)
	for _, a := range live {
		for orphanAlive(a) {
			if time.Now().After(deadline) {
				return &OrphanError{Attempt: a}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("wait for attempt %s to stop: %w", a.ID, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// orphanAlive reports whether a process of attempt a still runs on this
// host: precisely, by its environment, where the process table allows;
// otherwise while its guard lives.
func orphanAlive(a history.Attempt) bool {
	if alive, checked := process.AttemptAlive(a.ID); checked {
		return alive
	}
	return process.GuardAlive(a.GuardPID, a.StartedAt)
}
