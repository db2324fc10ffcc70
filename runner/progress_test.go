package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner"
)

// reporting prints three progress lines between ordinary output.
const reporting = `echo "scan: 3 batches"
for i in 1 2 3; do
  echo "relmig:progress $((i * 1000))/3000"
  echo "batch $i written" >&2
done
`

// reportThenWait reports 40 of 100, then waits to be stopped.
const reportThenWait = `echo "relmig:progress 40/100"
echo "waiting"
while :; do sleep 0.05; done
`

// silentUntil prints nothing until the file $GO_ON exists.
const silentUntil = `while [ ! -e "$GO_ON" ]; do sleep 0.01; done
echo "resumed"
`

// events collects a run's events and fails the test when two calls
// overlap (the runner promises one at a time).
type events struct {
	t    *testing.T
	in   atomic.Int32
	ch   chan runner.Event
	seen []runner.Event
}

func newEvents(t *testing.T) *events { return &events{t: t, ch: make(chan runner.Event, 1000)} }

func (e *events) handle(ev runner.Event) {
	if e.in.Add(1) != 1 {
		e.t.Error("two events at once")
	}
	defer e.in.Add(-1)
	e.ch <- ev
}

// drain returns every event received so far, in order.
func (e *events) drain() []runner.Event {
	for {
		select {
		case ev := <-e.ch:
			e.seen = append(e.seen, ev)
		default:
			return e.seen
		}
	}
}

// TestProgressReported: progress lines become events and the attempt
// records the last one; the log keeps them, the live output and the tail
// do not.
func TestProgressReported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/big.sh": reporting, "migrations/quiet.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner: { command: "sh {path}" }
releases:
  - version: v1.0.0
    migrations: [ { id: big.sh }, { id: quiet.sh } ]
`)
	ev := newEvents(t)
	applied, err := f.runner(seq, func(o *runner.Options) { o.Events = ev.handle }).Apply(testCtx(t), nil, f.plan(seq))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var got []int64
	state := ""
	for _, e := range ev.drain() {
		switch e.Kind {
		case runner.EventStart:
			state = e.Entry.Migration.ID
		case runner.EventEnd:
			state = ""
		case runner.EventProgress:
			if state != "big.sh" || e.Entry.Migration.ID != "big.sh" || e.Progress == nil || e.Progress.Total != 3000 || e.Progress.At.IsZero() {
				t.Errorf("progress event %+v while %q runs", e, state)
				continue
			}
			got = append(got, e.Progress.Done)
		}
	}
	if len(got) != 3 || got[0] != 1000 || got[2] != 3000 {
		t.Errorf("progress events %v, want 1000, 2000, 3000", got)
	}
	if p := applied[0].Progress; p == nil || p.Done != 3000 || p.Total != 3000 {
		t.Errorf("result progress %+v", p)
	}
	if applied[1].Progress != nil {
		t.Errorf("quiet.sh reported no progress, got %+v", applied[1].Progress)
	}
	a := f.attempts("big.sh")
	if len(a) != 1 || a[0].Progress == nil || a[0].Progress.Done != 3000 || a[0].Progress.Total != 3000 {
		t.Fatalf("big.sh records %+v", a)
	}
	if strings.Contains(a[0].OutputTail, "relmig:progress") || !strings.Contains(a[0].OutputTail, "batch 3 written") {
		t.Errorf("recorded tail %q", a[0].OutputTail)
	}
	if live := f.live.String(); strings.Contains(live, "relmig:progress") || !strings.Contains(live, "scan: 3 batches") {
		t.Errorf("live output %q", live)
	}
	log, err := os.ReadFile(a[0].LogFile)
	if err != nil || !strings.Contains(string(log), "relmig:progress 2000/3000\n") {
		t.Errorf("log file %s: %v\n%s", a[0].LogFile, err, log)
	}
	if q := f.attempts("quiet.sh"); len(q) != 1 || q[0].Progress != nil {
		t.Errorf("quiet.sh records %+v", q)
	}
}

// TestProgressRecordedWhenInterrupted: Ctrl-C (the context) after a
// progress line records the interrupted attempt with how far it got.
func TestProgressRecordedWhenInterrupted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/big.sh": reportThenWait})
	seq := f.load(`relmig: 1
dir: migrations
runner: { command: "sh {path}" }
releases:
  - version: v1.0.0
    migrations: [ { id: big.sh } ]
`)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	progressed := make(chan struct{})
	r := f.runner(seq, func(o *runner.Options) {
		o.Events = func(e runner.Event) {
			if e.Kind == runner.EventProgress {
				close(progressed)
			}
		}
	})
	go func() {
		<-progressed
		cancel()
	}()
	_, err := r.Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply: %v", err)
	}
	a := f.attempts("big.sh")
	if len(a) != 1 || a[0].Status != history.Interrupted || a[0].Progress == nil || a[0].Progress.Done != 40 || a[0].Progress.Total != 100 {
		t.Fatalf("records %+v", a)
	}
}

// TestHeartbeat: a silent script gets heartbeats between its start and
// end; it stays silent until the test has seen one, so nothing depends on
// timing.
func TestHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	goOn := filepath.Join(t.TempDir(), "go-on")
	f.env = append(f.env, "GO_ON="+goOn)
	f.repo.release("v1.0.0", map[string]string{"migrations/slow.sh": silentUntil})
	seq := f.load(`relmig: 1
dir: migrations
runner: { command: "sh {path}" }
releases:
  - version: v1.0.0
    migrations: [ { id: slow.sh } ]
`)
	ev := newEvents(t)
	r := f.runner(seq, func(o *runner.Options) {
		o.HeartbeatAfter, o.HeartbeatEvery = 20*time.Millisecond, 10*time.Millisecond
		o.Events = func(e runner.Event) {
			ev.handle(e)
			if e.Kind == runner.EventHeartbeat {
				_ = os.WriteFile(goOn, nil, 0o600)
			}
		}
	})
	if _, err := r.Apply(testCtx(t), nil, f.plan(seq)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	all := ev.drain()
	if len(all) < 3 || all[0].Kind != runner.EventStart || all[len(all)-1].Kind != runner.EventEnd {
		t.Fatalf("events %+v", all)
	}
	beats := 0
	for _, e := range all[1 : len(all)-1] {
		if e.Kind != runner.EventHeartbeat {
			continue
		}
		beats++
		if e.Entry.Migration.ID != "slow.sh" || e.Silent < 20*time.Millisecond || e.Elapsed < e.Silent {
			t.Errorf("heartbeat %+v", e)
		}
	}
	if beats == 0 {
		t.Errorf("no heartbeat in %+v", all)
	}
}
