// Package unlockcmd implements `relmig unlock`.
package unlockcmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/lock"
)

// DefaultReason is recorded when --reason is not given.
const DefaultReason = "unlocked by hand"

// Options are the inputs of `unlock`.
type Options struct {
	F      *cmdutil.Factory
	DB     cmdutil.DBFlags
	Force  bool
	Reason string
}

// NewCmd builds `relmig unlock`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "unlock [--force] [--reason TEXT]",
		Short: "Show the database lock's holder, and break the lock by hand",
		Long: `Show who holds the database lock and until when, and break it:

  - not locked: says so, exit 0;
  - an expired lease (its run died without releasing it): taken over and
    removed, and the dead run's running attempts become interrupted;
  - a live lease: refused with exit code 4, naming the holder and when the
    lease expires, unless --force. A live lease is renewed by a run that is
    still working; check that it is gone before forcing.

Every break is recorded as a lock event (see relmig history --events) with
who broke it and --reason. A forced holder that is in fact alive loses its
lease at its next renewal and stops before its next migration.`,
		Example: `  relmig unlock
  relmig unlock --force --reason "pod relmig-7f9c was deleted mid-run"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "break a live lock too")
	cmd.Flags().StringVar(&opts.Reason, "reason", DefaultReason, "why the lock is broken (recorded)")
	return cmd
}

// Report is what unlock found and did; the `--output json` document.
type Report struct {
	Lock     string      `json:"lock"`
	Locked   bool        `json:"locked"`
	Holder   *lock.Owner `json:"holder"`
	Acquired *time.Time  `json:"acquired"`
	Renewed  *time.Time  `json:"renewed"`
	Expires  *time.Time  `json:"expires"`
	Expired  bool        `json:"expired"`
	Broken   bool        `json:"broken"`
	// Interrupted are the holder's running attempts that became
	// interrupted.
	Interrupted []history.Attempt `json:"interrupted"`
}

func (r *Report) setHolder(i lock.Info, now time.Time) {
	r.Locked = true
	r.Holder = &i.Owner
	r.Acquired, r.Renewed, r.Expires = &i.Acquired, &i.Renewed, &i.Expires
	r.Expired = i.Expired(now)
}

func run(cmd *cobra.Command, opts *Options) error {
	f := opts.F
	ctx := cmd.Context()
	reason := strings.TrimSpace(opts.Reason)
	if reason == "" {
		reason = DefaultReason
	}
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	locker, err := db.Locker(cmdutil.LockOwner(history.NewRunID()))
	if err != nil {
		return err
	}
	rep := Report{Lock: lock.DefaultName, Interrupted: []history.Attempt{}}
	info, err := locker.Inspect(ctx)
	if errors.Is(err, lock.ErrNotLocked) {
		fmt.Fprintln(f.IO.ErrOut, "not locked")
		return write(f, rep)
	}
	if err != nil {
		return err
	}
	rep.Lock = info.Name
	rep.setHolder(info, time.Now())
	by := history.CurrentActor(f.Version)

	if rep.Expired {
		sup, err := takeOverExpired(ctx, locker, by, reason)
		switch {
		case errors.Is(err, lock.ErrHeld) && !opts.Force:
			// A run took the expired lease over (or is taking it over)
			// between our read and our claim: a live holder now.
			if werr := write(f, rep); werr != nil {
				return werr
			}
			return fmt.Errorf("the lock changed hands while unlocking it: %w; run relmig unlock again to see the new holder", err)
		case errors.Is(err, lock.ErrHeld):
			// --force: break whoever holds it now, below.
		case sup == nil && err != nil:
			return err
		case sup == nil:
			fmt.Fprintln(f.IO.ErrOut, "not locked (released meanwhile)")
			return write(f, Report{Lock: rep.Lock, Interrupted: rep.Interrupted})
		default:
			return broke(f, rep, "broke expired", sup, err)
		}
	}
	if !opts.Force {
		// Only a live lease gets here.
		if err := write(f, rep); err != nil {
			return err
		}
		held := &lock.HeldError{Lock: info.Name, Owner: info.Owner, Expires: info.Expires}
		return fmt.Errorf("%w (in %s): the lease is live, so its run may still be working; make sure it is gone, then pass --force to break it",
			held, time.Until(info.Expires).Round(time.Second))
	}
	sup, err := locker.Break(ctx, by, reason)
	if errors.Is(err, lock.ErrNotLocked) {
		fmt.Fprintln(f.IO.ErrOut, "not locked (released meanwhile)")
		return write(f, Report{Lock: rep.Lock, Interrupted: rep.Interrupted})
	}
	return broke(f, rep, "broke", &sup, err)
}

// broke reports a displaced lease: what it was, and which attempts became
// interrupted. opErr is the error of breaking it, returned after the
// report so that what did happen is shown.
func broke(f *cmdutil.Factory, rep Report, verb string, sup *lock.Superseded, opErr error) error {
	if sup.Previous.Expires.IsZero() {
		return opErr // failed before it read the lease: nothing happened
	}
	// What was actually displaced, which may differ from what we read
	// first if the lease changed hands meanwhile.
	rep.setHolder(sup.Previous, time.Now())
	rep.Broken = opErr == nil
	rep.Interrupted = append(rep.Interrupted, sup.Interrupted...)
	cmdutil.ReportSuperseded(f.IO.ErrOut, verb, sup)
	if err := write(f, rep); err != nil {
		return errors.Join(opErr, err)
	}
	return opErr
}

// takeOverExpired removes an expired lease without racing a run that is
// taking it over at the same moment. Break alone would read the lease and
// delete it in two steps, and could remove a lease that a replica took over
// in between; Acquire takes an expired lease over exclusively (and marks its
// dead run's attempts interrupted), after which breaking our own lease
// records who unlocked and why. It returns what the takeover displaced,
// nil when the lease was released meanwhile.
func takeOverExpired(ctx context.Context, locker *lock.Locker, by history.Actor, reason string) (*lock.Superseded, error) {
	lease, err := locker.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	sup := lease.Superseded()
	if sup == nil {
		return nil, lease.Release(ctx) // it was free: give it back
	}
	_, berr := locker.Break(ctx, by, fmt.Sprintf("%s (expired lease of %s)", reason, sup.Previous.Owner))
	rerr := lease.Release(ctx)
	if berr == nil && errors.Is(rerr, lock.ErrLost) {
		rerr = nil // Break deleted our own lease, as intended
	}
	return sup, errors.Join(berr, rerr)
}

func write(f *cmdutil.Factory, rep Report) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rep)
	}
	if !rep.Locked {
		return nil
	}
	t := table.New(f.IO.Out, "LOCK", "HOLDER", "ACQUIRED", "RENEWED", "EXPIRES", "STATE")
	state := "live"
	if rep.Expired {
		state = "expired"
	}
	if rep.Broken {
		state += ", broken"
	}
	t.Row(rep.Lock, rep.Holder.String(), rep.Acquired.UTC().Format(cmdutil.TimeLayout),
		rep.Renewed.UTC().Format(cmdutil.TimeLayout), rep.Expires.UTC().Format(cmdutil.TimeLayout), state)
	if err := t.Flush(); err != nil {
		return err
	}
	if len(rep.Interrupted) == 0 {
		return nil
	}
	fmt.Fprintln(f.IO.Out)
	return cmdutil.WriteAttempts(f.IO.Out, rep.Interrupted, f.TableWidth())
}
