package runner

import (
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
)

// The kinds of events about a running script, after those in runner.go.
const (
	EventProgress  EventKind = EventEnd + 1 + iota // the script printed a progress line (Progress, Elapsed set)
	EventHeartbeat                                 // the script has been silent for a while (Elapsed, Silent set)
)

// watch makes spec report the script's progress lines and heartbeats as
// events about e. Each progress line is an event only: the last one is
// recorded with the outcome, so the database sees no more writes per
// migration than without progress.
func (r *Runner) watch(spec *process.Spec, e releasemap.RangeEntry) {
	if r.opts.Events == nil {
		return
	}
	spec.OnProgress = func(p process.Progress) {
		r.emit(Event{Kind: EventProgress, Entry: e, Progress: recordedProgress(&p), Elapsed: p.Elapsed})
	}
	if r.opts.HeartbeatAfter > 0 {
		spec.HeartbeatAfter, spec.HeartbeatEvery = r.opts.HeartbeatAfter, r.opts.HeartbeatEvery
		spec.OnSilent = func(s process.Silence) {
			r.emit(Event{Kind: EventHeartbeat, Entry: e, Elapsed: s.Elapsed, Silent: s.Silent})
		}
	}
}

// recordedProgress is the history form of a progress line; nil for none.
func recordedProgress(p *process.Progress) *history.Progress {
	if p == nil {
		return nil
	}
	return &history.Progress{Done: p.Done, Total: p.Total, At: p.At}
}
