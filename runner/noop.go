package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/releasemap"
)

// NoopReasonPrefix starts the reason recorded for a migration the map
// declares as doing nothing (`noop:`); the map's reason follows.
const NoopReasonPrefix = "declared noop in the release map: "

// skipNoop records a migration the map declares as doing nothing as
// skipped, with the map's reason, without preparing or running anything.
// Its post checks, if any, must hold. It goes through the same claim and fence as a script that runs (steps
// 2 and 3 of runOne), so that two runs passing it record it once.
func (r *Runner) skipNoop(ctx context.Context, lease *lock.Lease, e releasemap.RangeEntry, fc fence) (Result, error) {
	g := e.Migration
	res := Result{ID: g.ID, Release: e.Release.String()}
	token := ""
	if lease != nil {
		if err := lease.Valid(); err != nil {
			return res, fmt.Errorf("%s not recorded: %w", g.ID, err)
		}
		token = lease.Info().Token
	}
	start := time.Now()
	att, err := r.store.Begin(ctx, history.Attempt{
		Migration: g.ID, Release: e.Release.String(), Status: history.Running, RunID: r.opts.RunID,
		Target: r.opts.Target, StartedAt: start, SHA256: g.SHA256, By: r.opts.Actor,
		LeaseToken: token, GuardPID: r.guard.PID(),
	})
	if err != nil {
		return res, fmt.Errorf("claim %s (not recorded): %w", g.ID, err)
	}
	res.AttemptID = att.ID
	if err := r.checkFence(ctx, lease, g.ID, fc); err != nil {
		if aerr := r.store.Abandon(context.WithoutCancel(ctx), att.ID); aerr != nil {
			err = errors.Join(err, fmt.Errorf("give up the claim: %w", aerr))
		}
		return res, fmt.Errorf("%s not recorded: %w", g.ID, err)
	}
	out := history.Outcome{Status: history.Skipped, Reason: NoopReasonPrefix + g.Noop}
	// Post checks prove the data is already what the script would leave:
	// a noop whose checks fail is a failure, not a skip.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	err = r.post(pctx, g)
	cancel()
	if err != nil {
		out.Status, out.Reason = history.Failed, "declared noop in the release map, but "+err.Error()
		res.Err = &ScriptError{ID: g.ID, Release: e.Release.String(), ExitCode: -1, Err: err}
	}
	out.Duration = time.Since(start)
	res.Status, res.Duration = out.Status, out.Duration
	if err := r.finish(context.WithoutCancel(ctx), att, out); err != nil {
		return res, err
	}
	return res, nil
}
