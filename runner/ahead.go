package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/relmig/relmig/releasemap"
)

// checkouts are the release checkouts of one run, each prepared (exported,
// toolchain resolved, set up) once: by the run when a migration needs it,
// or ahead of time in the background while earlier migrations run.
//
// A cold upgrade of an application like Novu is dominated by installs and
// builds, minutes per release: preparing release k+1 while release k's
// scripts run overlaps the two, and the export and toolchain fetches of
// k+1 overlap k's setup too. The setups themselves run one at a time (see
// Runner.setupSlot): an install and build keep every core busy (on two
// cores, two cold Novu setups side by side took 26 minutes each, on a host
// busy with other work too, where one alone had taken 8 to 11). The background prepares one checkout at a time, in plan
// order; it stops at its first failure, and the run then prepares that
// checkout itself, with its output shown, when its turn comes.
type checkouts struct {
	mu   sync.Mutex
	jobs map[string]*checkoutJob
}

// checkoutJob is one checkout's preparation; done is closed when p and err
// are set.
type checkoutJob struct {
	done  chan struct{}
	p     prepared
	err   error
	ahead bool
}

// prepKey names what a preparation depends on: the checkout's tag, and the
// settings that change its setup or toolchain.
func prepKey(tag string, s releasemap.Runner) string {
	return strings.Join([]string{tag, s.Setup, s.Cwd, s.Toolchain, s.Node, s.PackageManager}, "\x00")
}

// claim returns the job for key and whether the caller created it (and so
// must run it and close done).
func (c *checkouts) claim(key string, ahead bool) (*checkoutJob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[key]; ok {
		return j, false
	}
	if c.jobs == nil {
		c.jobs = map[string]*checkoutJob{}
	}
	j := &checkoutJob{done: make(chan struct{}), ahead: ahead}
	c.jobs[key] = j
	return j, true
}

// forget drops a failed job, so that the run prepares the checkout again.
func (c *checkouts) forget(key string, j *checkoutJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.jobs[key] == j {
		delete(c.jobs, key)
	}
}

// checkoutFor prepares the checkout of e's release (see prepareCheckout)
// unless it was or is being prepared ahead, in which case it waits for
// that preparation. A preparation ahead that failed is done again here,
// in the foreground, where its output is shown.
func (r *Runner) checkoutFor(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner, tag string) (prepared, error) {
	key := prepKey(tag, s)
	for {
		j, mine := r.checkouts.claim(key, false)
		if mine {
			j.p, j.err = r.prepareCheckout(ctx, e, s, tag, false)
			close(j.done)
			if j.err != nil {
				r.checkouts.forget(key, j)
			}
			return j.p, j.err
		}
		r.openGate()
		select {
		case <-j.done:
		default:
			r.note(e, false, "waiting for the checkout of "+tag+", being prepared ahead")
			select {
			case <-j.done:
			case <-ctx.Done():
				return prepared{}, ctx.Err()
			}
		}
		if j.err == nil {
			return j.p, nil
		}
		if !j.ahead || ctx.Err() != nil {
			return prepared{}, j.err
		}
		r.note(e, false, "preparing "+tag+" ahead failed; preparing it again: "+j.err.Error())
		r.checkouts.forget(key, j)
	}
}

// prepareAhead prepares, one at a time and in plan order, the checkouts
// with a setup of the releases after the first, skipping those already
// claimed; it returns when all are prepared, one failed, or ctx is done.
// Only a
// release's first migration is prepared ahead: a later one of the same
// release with other settings is prepared by the run itself, after the
// first, so that two setups never share a checkout at once.
func (r *Runner) prepareAhead(ctx context.Context, entries []releasemap.RangeEntry) {
	seen := map[string]bool{}
	for _, e := range entries {
		g := e.Migration
		if g.Noop != "" {
			continue
		}
		s := g.Effective(r.seq.Runner)
		tag := r.releaseTag(e, s)
		if tag == "" || seen[tag] {
			continue
		}
		first := len(seen) == 0
		seen[tag] = true
		if first || s.Command == "" || s.Setup == "" {
			// The run's own first step, a migration that cannot start, or
			// a checkout that is only an export: cheap enough to make when
			// its turn comes, with nothing to overlap.
			continue
		}
		j, mine := r.checkouts.claim(prepKey(tag, s), true)
		if !mine {
			continue
		}
		j.p, j.err = r.prepareCheckout(ctx, e, s, tag, true)
		close(j.done)
		if j.err != nil {
			if ctx.Err() == nil {
				r.note(e, true, fmt.Sprintf("preparing %s failed; the run prepares it itself when its turn comes: %v", tag, j.err))
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// startAhead runs prepareAhead in the background when the run has more
// than one checkout to prepare and Options.NoPrepareAhead is not set; the
// returned stop cancels it and waits until it ended (a setup under way
// is stopped like a script: SIGTERM, then SIGKILL after the grace).
func (r *Runner) startAhead(ctx context.Context, entries []releasemap.RangeEntry) (stop func()) {
	r.gate = make(chan struct{})
	r.gateOnce = &sync.Once{}
	if r.opts.NoPrepareAhead || len(entries) < 2 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.prepareAhead(ctx, entries)
	}()
	return func() {
		cancel()
		<-done
	}
}

// openGate lets setups ahead start: the run's first migration is prepared
// (runOne), or the run waits for a checkout made ahead (checkoutFor). Until then the one
// setup slot is the run's, so the first migration never waits behind a
// later release's install.
func (r *Runner) openGate() {
	if r.gateOnce != nil {
		r.gateOnce.Do(func() { close(r.gate) })
	}
}

// awaitGate blocks a setup ahead until openGate.
func (r *Runner) awaitGate(ctx context.Context) error {
	if r.gate == nil {
		return nil
	}
	select {
	case <-r.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
