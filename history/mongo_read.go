package history

import (
	"context"
	"errors"
	"fmt"

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

// get reads one record by id; ErrNotFound when there is none.
func (s *MongoStore) get(ctx context.Context, id string, projection any) (Attempt, error) {
	var a Attempt
	opts := options.FindOne()
	if projection != nil {
		opts.SetProjection(projection)
	}
	err := s.history.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Attempt{}, ErrNotFound
	}
	return a, err
}

// List implements Store.
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
	as, err := s.find(ctx, q, opts)
	if err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	return as, nil
}

func (s *MongoStore) find(ctx context.Context, q bson.D, opts *options.FindOptionsBuilder) ([]Attempt, error) {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := s.history.Find(ctx, q, opts)
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
// head) and looks up the few records they list as pending in history, so
// its cost grows with the number of migrations, not of records.
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
	return out, nil
}
