package history

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Get implements Store.
func (s *MongoStore) Get(ctx context.Context, id string) (Attempt, error) {
	a, err := s.get(ctx, id, nil)
	if err != nil {
		return Attempt{}, fmt.Errorf("get %s: %w", id, err)
	}
	return a, nil
}

// get reads one record by id, ended or running; ErrNotFound when there is
// none. History is read first: an attempt that ended is there, even in the
// moment before its running record is removed.
func (s *MongoStore) get(ctx context.Context, id string, projection any) (Attempt, error) {
	for _, c := range []*mongo.Collection{s.history, s.running} {
		var a Attempt
		opts := options.FindOne()
		if projection != nil {
			opts.SetProjection(projection)
		}
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts).Decode(&a)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		return a, err
	}
	return Attempt{}, ErrNotFound
}

// List implements Store: the ended attempts in history and the running ones,
// merged newest first.
func (s *MongoStore) List(ctx context.Context, f Filter) ([]Attempt, error) {
	q := bson.D{}
	if f.Migration != "" {
		q = append(q, bson.E{Key: "migration", Value: f.Migration})
	}
	if f.Status != "" {
		q = append(q, bson.E{Key: "status", Value: f.Status})
	}
	if f.Release != "" {
		q = append(q, bson.E{Key: "release", Value: f.Release})
	}
	if f.RunID != "" {
		q = append(q, bson.E{Key: "run_id", Value: f.RunID})
	}
	if !f.Since.IsZero() {
		q = append(q, bson.E{Key: "started_at", Value: bson.D{{Key: "$gte", Value: dbTime(f.Since)}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "started_at", Value: -1}, {Key: "_id", Value: -1}})
	if f.Limit > 0 {
		opts.SetLimit(int64(f.Limit))
	}
	ended, err := s.findIn(ctx, s.history, q, opts)
	if err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	var running []Attempt
	if f.Status == "" || f.Status == Running {
		if running, err = s.findIn(ctx, s.running, q, opts); err != nil {
			return nil, fmt.Errorf("list running attempts: %w", err)
		}
	}
	seen := make(map[string]bool, len(ended))
	for _, a := range ended {
		seen[a.ID] = true
	}
	out := ended
	for _, a := range running {
		if !seen[a.ID] { // ended, and its running record not removed yet
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return newer(out[i].Entry(), out[j].Entry()) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *MongoStore) findIn(ctx context.Context, c *mongo.Collection, q bson.D, opts *options.FindOptionsBuilder) ([]Attempt, error) {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := c.Find(ctx, q, opts)
	if err != nil {
		return nil, err
	}
	var as []Attempt
	if err := cur.All(ctx, &as); err != nil {
		return nil, err
	}
	return as, nil
}

// Latest implements Store. It reads one head document per migration (see
// head), looks up the few records they list as pending in history, and
// adds the running attempts, so its cost grows with the number of
// migrations, not of records.
func (s *MongoStore) Latest(ctx context.Context) (map[string]Summary, error) {
	cur, err := s.state.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read summaries: %w", err)
	}
	var heads []head
	if err := cur.All(ctx, &heads); err != nil {
		return nil, fmt.Errorf("read summaries: %w", err)
	}
	fields := bson.D{}
	for _, f := range []string{"started_at", "status", "release", "sha256", "run_id"} {
		fields = append(fields, bson.E{Key: f, Value: 1})
	}
	out := make(map[string]Summary, len(heads))
	for _, h := range heads {
		sum := Summary{Attempts: h.Attempts}
		var latest *Entry
		if h.Latest != "" {
			e, err := decodeEntry(h.Latest)
			if err != nil {
				return nil, fmt.Errorf("read summary of %s: %w", h.Migration, err)
			}
			latest = &e
		}
		if h.Applied != "" {
			e, err := decodeEntry(h.Applied)
			if err != nil {
				return nil, fmt.Errorf("read summary of %s: %w", h.Migration, err)
			}
			sum.Applied = &e
		}
		for _, id := range h.Pending {
			a, err := s.get(ctx, id, fields)
			if errors.Is(err, ErrNotFound) {
				// Announced but never written (the write failed), or being
				// written right now and so not part of this snapshot.
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read pending record %s of %s: %w", id, h.Migration, err)
			}
			e := a.Entry()
			sum.Attempts++
			if latest == nil || newer(e, *latest) {
				latest = &e
			}
			if e.Status.Applied() && (sum.Applied == nil || newer(e, *sum.Applied)) {
				sum.Applied = &e
			}
		}
		if latest == nil {
			continue // nothing but announcements: no record
		}
		sum.Latest = *latest
		out[h.Migration] = sum
	}
	if err := s.addRunning(ctx, out, heads); err != nil {
		return nil, err
	}
	return out, nil
}

// addRunning folds the running attempts into the summaries. An attempt
// whose outcome is already in history (its run crashed, or is ending right
// now, between the steps of end) counts with that outcome, once.
func (s *MongoStore) addRunning(ctx context.Context, out map[string]Summary, heads []head) error {
	running, err := s.findIn(ctx, s.running, bson.D{}, options.Find().SetProjection(bson.D{{Key: "output_tail", Value: 0}}))
	if err != nil {
		return fmt.Errorf("read running attempts: %w", err)
	}
	settled := map[string]bool{}
	for _, h := range heads {
		for _, enc := range []string{h.Latest, h.Applied} {
			if e, err := decodeEntry(enc); err == nil {
				settled[e.ID] = true
			}
		}
	}
	for _, r := range running {
		e := r.Entry()
		if ended, err := s.get(ctx, r.ID, bson.D{{Key: "output_tail", Value: 0}}); err == nil && ended.Status != Running {
			if settled[r.ID] {
				continue
			}
			e = ended.Entry()
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("read running attempt %s: %w", r.ID, err)
		}
		sum, ok := out[r.Migration]
		sum.Attempts++
		if !ok || newer(e, sum.Latest) {
			sum.Latest = e
		}
		if e.Status.Applied() && (sum.Applied == nil || newer(e, *sum.Applied)) {
			applied := e
			sum.Applied = &applied
		}
		out[r.Migration] = sum
	}
	return nil
}

// LatestEnded implements Store. It reads the migration's head document
// (one point read; see head): an attempt's outcome is settled into it
// before its running record is removed, so a claim that succeeded comes
// after the settle of every earlier attempt of the migration. Records that
// are still being written (a baseline or mark under way: the head lists
// them as pending) send it to history itself, newest first.
//
// Reads use majority read concern: every outcome is written with majority
// write concern, so an outcome acknowledged before this read is in what it
// returns, also after a failover (a deposed primary that has not noticed
// yet cannot acknowledge majority writes, so it cannot hold an outcome this
// read misses).
func (s *MongoStore) LatestEnded(ctx context.Context, migration string) (*Entry, error) {
	var h head
	err := s.stateMajority.FindOne(ctx, bson.D{{Key: "_id", Value: migration}}).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the summary of %s: %w", migration, err)
	}
	if len(h.Pending) == 0 {
		if h.Latest == "" {
			return nil, nil
		}
		e, err := decodeEntry(h.Latest)
		if err != nil {
			return nil, fmt.Errorf("read the summary of %s: %w", migration, err)
		}
		return &e, nil
	}
	var a Attempt
	err = s.historyMajority.FindOne(ctx, bson.D{{Key: "migration", Value: migration}},
		options.FindOne().
			SetSort(bson.D{{Key: "started_at", Value: -1}, {Key: "_id", Value: -1}}).
			SetProjection(bson.D{{Key: "output_tail", Value: 0}})).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read latest record of %s: %w", migration, err)
	}
	e := a.Entry()
	return &e, nil
}
