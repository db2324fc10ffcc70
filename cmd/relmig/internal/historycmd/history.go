// Package historycmd implements `relmig history`.
package historycmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/lock"
)

// Options are the inputs of `history`.
type Options struct {
	F         *cmdutil.Factory
	DB        cmdutil.DBFlags
	Migration string
	Status    string
	Release   string
	RunID     string
	Since     string
	Limit     int
	Events    bool
	// Now is the clock --since durations count back from (time.Now
	// outside tests).
	Now func() time.Time
}

// NewCmd builds `relmig history`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the attempt records of the database, newest first",
		Long: `List the history records of the database, newest first: every attempt to run
a migration, every baseline and every manual mark, with who wrote it, when,
how it ended and why. Filters combine. --events adds the lock's audit events
(takeovers of expired leases, locks broken by hand), filtered by --since only.
It reads the database only; it needs no release map.`,
		Example: `  relmig history --since 24h
  relmig history --migration users/backfill.ts --status failed
  relmig history --run 20240501T020000Z-1a2b3c4d5e6f7a8b --output json
  relmig history --events --limit 20`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	fl := cmd.Flags()
	fl.StringVar(&opts.Migration, "migration", "", "only records of this migration id")
	fl.StringVar(&opts.Status, "status", "", "only records with this status: "+statusList())
	fl.StringVar(&opts.Release, "release", "", "only records of migrations of this release, as the map writes it (v0.18.0)")
	fl.StringVar(&opts.RunID, "run", "", "only records written by this run id")
	fl.StringVar(&opts.Since, "since", "", "only records started at or after this time: RFC 3339 (2024-05-01T02:00:00Z), a date (2024-05-01), or how long ago (90m, 24h, 7d)")
	fl.IntVar(&opts.Limit, "limit", 0, "show at most this many records, newest first (0: all)")
	fl.BoolVar(&opts.Events, "events", false, "also list the lock's audit events (takeovers, breaks)")
	return cmd
}

// Report is the `history --output json` document (SPEC §6.1).
type Report struct {
	Attempts []history.Attempt `json:"attempts"`
	// LockEvents is present with --events only.
	LockEvents []EventJSON `json:"lock_events,omitempty"`
}

// EventJSON is one lock audit event: who held the lease that was
// displaced, and who displaced it (a run taking over, or an operator).
type EventJSON struct {
	ID              string         `json:"id"`
	Lock            string         `json:"lock"`
	Kind            string         `json:"kind"`
	At              time.Time      `json:"at"`
	PreviousOwner   lock.Owner     `json:"previous_owner"`
	PreviousExpires time.Time      `json:"previous_expires"`
	NewOwner        *lock.Owner    `json:"new_owner"`
	By              *history.Actor `json:"by"`
	Reason          string         `json:"reason"`
}

// Filter validates the options into a store filter; bad values exit 2
// with a one-line reason naming the flag.
func (o *Options) Filter() (history.Filter, error) {
	flt := history.Filter{Migration: o.Migration, Release: o.Release, RunID: o.RunID, Limit: o.Limit}
	if o.Status != "" {
		s := history.Status(o.Status)
		if !s.Valid() {
			return flt, cmdutil.BadInput(fmt.Errorf("--status %q: want one of %s", o.Status, statusList()))
		}
		flt.Status = s
	}
	if o.Since != "" {
		t, err := ParseSince(o.Since, o.Now())
		if err != nil {
			return flt, cmdutil.BadInput(fmt.Errorf("--since %q: %w", o.Since, err))
		}
		flt.Since = t
	}
	if o.Limit < 0 {
		return flt, cmdutil.BadInput(fmt.Errorf("--limit %d: want 0 (all) or more", o.Limit))
	}
	return flt, nil
}

// ParseSince reads a --since value: an RFC 3339 time, a date (midnight
// UTC), or a duration meaning that long before now. Go durations have no
// day unit; "7d" is accepted too because that is what people type.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		if n, nerr := strconv.Atoi(days); nerr == nil {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time (2024-05-01T02:00:00Z), a date (2024-05-01) or how long ago (24h, 7d)")
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("a duration counts back from now and must not be negative")
	}
	return now.Add(-d), nil
}

func run(cmd *cobra.Command, opts *Options) error {
	f := opts.F
	ctx := cmd.Context()
	flt, err := opts.Filter()
	if err != nil {
		return err
	}
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	as, err := db.Store.List(ctx, flt)
	if err != nil {
		return err
	}
	rep := Report{Attempts: as}
	if rep.Attempts == nil {
		rep.Attempts = []history.Attempt{}
	}
	if opts.Events {
		if rep.LockEvents, err = events(ctx, db, flt); err != nil {
			return err
		}
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rep)
	}
	return writeTable(f, rep, opts.Events)
}

// events reads the lock's audit events, filtered by --since and --limit.
func events(ctx context.Context, db *cmdutil.DB, flt history.Filter) ([]EventJSON, error) {
	// Reading events needs a Locker, which needs an owner; this one never
	// takes the lock.
	locker, err := db.Locker(cmdutil.LockOwner(history.NewRunID()))
	if err != nil {
		return nil, err
	}
	evs, err := locker.Events(ctx)
	if err != nil {
		return nil, err
	}
	out := []EventJSON{}
	for _, e := range evs {
		if !flt.Since.IsZero() && e.At.Before(flt.Since) {
			continue
		}
		if flt.Limit > 0 && len(out) == flt.Limit {
			break
		}
		out = append(out, EventJSON{
			ID: e.ID, Lock: e.Lock, Kind: string(e.Kind), At: e.At,
			PreviousOwner: e.Previous.Owner, PreviousExpires: e.Previous.Expires,
			NewOwner: e.NewOwner, By: e.By, Reason: e.Reason,
		})
	}
	return out, nil
}

func writeTable(f *cmdutil.Factory, rep Report, withEvents bool) error {
	if len(rep.Attempts) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "no history records match")
	} else if err := cmdutil.WriteAttempts(f.IO.Out, rep.Attempts, f.TableWidth()); err != nil {
		return err
	}
	if !withEvents {
		return nil
	}
	if len(rep.LockEvents) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "no lock events match")
		return nil
	}
	if len(rep.Attempts) > 0 {
		fmt.Fprintln(f.IO.Out)
	}
	t := table.New(f.IO.Out, "LOCK EVENT", "LOCK", "KIND", "DISPLACED", "BY", "REASON")
	for _, e := range rep.LockEvents {
		by := "-"
		switch {
		case e.By != nil:
			by = cmdutil.ActorName(*e.By)
		case e.NewOwner != nil:
			by = e.NewOwner.String()
		}
		reason := e.Reason
		if reason == "" && e.Kind == string(lock.EventTakeover) {
			reason = "lease expired " + e.PreviousExpires.UTC().Format(cmdutil.TimeLayout)
		}
		t.Row(e.At.UTC().Format(cmdutil.TimeLayout), e.Lock, e.Kind, e.PreviousOwner.String(), by, table.Truncate(reason, 60))
	}
	return t.Flush()
}

func statusList() string {
	all := []history.Status{history.Running, history.Succeeded, history.Failed, history.Interrupted, history.Baselined, history.Skipped}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
