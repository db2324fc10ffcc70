// Package runner executes a plan: it checks every requirement before the
// first migration starts, then runs each migration in order under the lock,
// recording every attempt in the history store. It never prints, reads the
// environment or exits; everything arrives as input and leaves as a Report.
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
)

// Dialer opens a network connection; tests may replace net.Dialer's.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// preflight checks the requirements of every planned migration: variables
// set, addresses answering, `pre` checks true. It returns every failure.
func (r *Runner) preflight(ctx context.Context, entries []releasemap.RangeEntry) []plan.Finding {
	var out []plan.Finding
	for _, e := range entries {
		g := e.Migration
		env, err := r.envFor(e)
		if err != nil {
			out = append(out, plan.Finding{ID: g.ID, Kind: plan.KindRequirement, Reason: err.Error()})
		}
		vars := r.vars(e, env, "")
		missing := false
		req := g.Requires
		if g.Noop != "" {
			// Never run: its pre checks hold, but it needs nothing.
			req = releasemap.Requires{}
		}
		for _, name := range req.Env {
			if env[name] == "" {
				missing = true
				out = append(out, plan.Finding{ID: g.ID, Kind: plan.KindRequirement, Related: name, Reason: fmt.Sprintf("needs environment variable %s, which is not set", name)})
			}
		}
		for _, addr := range req.Reachable {
			if missing && strings.Contains(addr, "{env.") {
				continue // already reported: the variable it names is missing
			}
			out = append(out, r.reachable(ctx, g.ID, addr, vars)...)
		}
		for i, c := range g.Pre {
			if err := CheckCount(ctx, r.db, c); err != nil {
				out = append(out, plan.Finding{ID: g.ID, Kind: plan.KindRequirement, Related: fmt.Sprintf("pre %d", i+1), Reason: fmt.Sprintf("pre check %d: %v", i+1, err)})
			}
		}
		if f, ok := r.contentChanged(e); ok && g.Noop == "" {
			out = append(out, f)
		}
	}
	return out
}

// contentChanged compares a script that can be read without preparing
// anything (from the repository, or from a checkout already in the cache)
// with the map's sha256, so that the dry run reports what --apply would
// refuse. A checkout not exported yet is compared when it is, before the
// script starts (runOne).
func (r *Runner) contentChanged(e releasemap.RangeEntry) (plan.Finding, bool) {
	g := e.Migration
	if g.SHA256 == "" || slices.Contains(r.opts.AcceptChanged, g.ID) {
		return plan.Finding{}, false
	}
	script, ok := r.scriptPath(e, g.Effective(r.seq.Runner))
	if !ok {
		return plan.Finding{}, false
	}
	got, err := fileHash(script)
	if err != nil || got == g.SHA256 {
		return plan.Finding{}, false // a missing file is reported when it is prepared
	}
	ce := ChangedError{ID: g.ID, Path: script, Want: g.SHA256, Got: got}
	return plan.Finding{ID: g.ID, Kind: plan.KindChanged, Related: script, Reason: strings.TrimPrefix(ce.Error(), g.ID+": ")}, true
}

func (r *Runner) reachable(ctx context.Context, id, tmpl string, vars process.Vars) []plan.Finding {
	addr, err := process.ExpandText(tmpl, vars)
	if err != nil {
		return []plan.Finding{{ID: id, Kind: plan.KindRequirement, Related: tmpl, Reason: fmt.Sprintf("reachable %q: %v", tmpl, err)}}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return []plan.Finding{{ID: id, Kind: plan.KindRequirement, Related: tmpl, Reason: fmt.Sprintf("reachable %q expands to %q, not host:port", tmpl, addr)}}
	}
	dctx, cancel := context.WithTimeout(ctx, r.opts.DialTimeout)
	defer cancel()
	conn, err := r.opts.Dial(dctx, "tcp", addr)
	if err != nil {
		return []plan.Finding{{ID: id, Kind: plan.KindRequirement, Related: addr, Reason: fmt.Sprintf("needs %s reachable: %v", addr, trimDialError(err))}}
	}
	conn.Close()
	return nil
}

// trimDialError keeps the reason of a dial error ("connection refused", "i/o
// timeout") without repeating the address.
func trimDialError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// CheckCount counts the documents of c.Collection matching c's filter and
// returns an error saying by how much the count misses c's bounds.
func CheckCount(ctx context.Context, db *mongo.Database, c releasemap.Check) error {
	filter, err := c.FilterDoc()
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	n, err := db.Collection(c.Collection).CountDocuments(ctx, filter)
	if err != nil {
		return fmt.Errorf("count %s: %w", c.Collection, err)
	}
	switch {
	case c.Min != nil && n < *c.Min:
		return fmt.Errorf("%s matching %s: %d documents, want at least %d", c.Collection, describe(c), n, *c.Min)
	case c.Max != nil && n > *c.Max:
		return fmt.Errorf("%s matching %s: %d documents, want at most %d", c.Collection, describe(c), n, *c.Max)
	}
	return nil
}

// describe shows a check's filter the way the map writes it: MongoDB
// Extended JSON (relaxed) with bare keys, such as {members: {$exists: true}}
// or {at: {$gte: {$date: "2024-01-01T00:00:00Z"}}}, never Go map syntax.
func describe(c releasemap.Check) string {
	doc, err := c.FilterDoc()
	if err != nil {
		return fmt.Sprint(c.Filter) // map check reports the filter itself
	}
	var b strings.Builder
	writeFilter(&b, doc)
	return b.String()
}

// writeFilter writes one filter value: documents with bare keys, arrays,
// and every other value as its relaxed Extended JSON.
func writeFilter(b *strings.Builder, v any) {
	switch t := v.(type) {
	case bson.D:
		writeList(b, "{", "}", len(t), func(i int) {
			b.WriteString(t[i].Key + ": ")
			writeFilter(b, t[i].Value)
		})
	case bson.A:
		writeList(b, "[", "]", len(t), func(i int) { writeFilter(b, t[i]) })
	default:
		data, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
		var wrapped struct{ V json.RawMessage }
		if err == nil {
			err = json.Unmarshal(data, &wrapped)
		}
		var plain any
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(wrapped.V))
			dec.UseNumber()
			err = dec.Decode(&plain)
		}
		if err != nil {
			fmt.Fprint(b, v)
			return
		}
		writeJSON(b, plain)
	}
}

// writeJSON writes a decoded JSON value with bare object keys, in key
// order ({$date: "…"}, {$oid: "…"}).
func writeJSON(b *strings.Builder, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		writeList(b, "{", "}", len(keys), func(i int) {
			b.WriteString(keys[i] + ": ")
			writeJSON(b, t[keys[i]])
		})
	case []any:
		writeList(b, "[", "]", len(t), func(i int) { writeJSON(b, t[i]) })
	default:
		data, _ := json.Marshal(t) // decoded JSON always encodes again
		b.Write(data)
	}
}

// defaultDialTimeout bounds each `reachable` check: long enough for a
// tunnel, short enough that a run with several unreachable services still
// answers within seconds.
const defaultDialTimeout = 3 * time.Second

// writeList writes n items between left and right, separated by ", ".
func writeList(b *strings.Builder, left, right string, n int, item func(i int)) {
	b.WriteString(left)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		item(i)
	}
	b.WriteString(right)
}
