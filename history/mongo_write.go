package history

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The state collection holds one head document per migration:
//
//	{_id: migration, l: entry, a: entry, n: attempts, p: [pending ids]}
//
// l is the latest terminal record, a the latest applied one, n the number
// of terminal records. Reading the heads is what `relmig status` waits for,
// so they are small: an entry is one string (see encodeEntry), because
// FerretDB's cost grows with every field it converts (1,000 heads read in
// 98 ms with entries as sub-documents, 49 ms as strings, in a probe on the
// development server).
//
// Writes follow a fixed order, so that a crash or a lost connection
// between two steps can never make a record invisible to Latest:
//
//   - an attempt (Begin … Finish or InterruptRunning): its running record
//     goes to the running collection, where Latest sees it; when it ends,
//     its terminal record is inserted into history (the decision, see end),
//     then settle folds it into its head, and only then is the running
//     record removed: until then Latest finds it through the running
//     collection and reads its outcome from history;
//   - an operator's record (Record: baseline, mark): markPending adds its id
//     to its head's pending set, the record is inserted into history, and
//     settle folds it in and removes it from the pending set.
//
// settle folds a terminal record into l and a with $max, increments n and
// removes it from p — one update, atomic per document on MongoDB. Latest
// reads every head, looks up its pending ids in history and adds the
// running records, so a step that did not happen is either invisible (an
// id never inserted) or read from history itself. Entries sort as strings
// in history order, so $max makes settle independent of the order updates
// land in: the newest record wins.
type head struct {
	Migration string   `bson:"_id"`
	Latest    string   `bson:"l,omitempty"`
	Applied   string   `bson:"a,omitempty"`
	Attempts  int      `bson:"n"`
	Pending   []string `bson:"p"`
}

// entryTime is the fixed-width start time that leads an encoded entry, so
// that byte order of entries is history order (start time, then id; ids
// are fixed-width hex).
const entryTime = "2006-01-02T15:04:05.000Z"

// encodeEntry writes e as "time id status release sha256 run", the
// variable fields query-escaped so that none contains a space.
func encodeEntry(e Entry) string {
	return strings.Join([]string{
		e.StartedAt.UTC().Format(entryTime), e.ID, string(e.Status),
		url.QueryEscape(e.Release), url.QueryEscape(e.SHA256), url.QueryEscape(e.RunID),
	}, " ")
}

func decodeEntry(s string) (Entry, error) {
	f := strings.Split(s, " ")
	if len(f) != 6 {
		return Entry{}, fmt.Errorf("malformed summary entry %q", s)
	}
	at, err := time.Parse(entryTime, f[0])
	if err != nil {
		return Entry{}, fmt.Errorf("malformed summary entry %q: %w", s, err)
	}
	e := Entry{StartedAt: at, ID: f[1], Status: Status(f[2])}
	for i, dst := range []*string{&e.Release, &e.SHA256, &e.RunID} {
		if *dst, err = url.QueryUnescape(f[3+i]); err != nil {
			return Entry{}, fmt.Errorf("malformed summary entry %q: %w", s, err)
		}
	}
	return e, nil
}

// Begin implements Store.
func (s *MongoStore) Begin(ctx context.Context, a Attempt) (Attempt, error) {
	if err := validateBegin(a); err != nil {
		return Attempt{}, err
	}
	if err := s.ensure(ctx); err != nil {
		return Attempt{}, fmt.Errorf("begin attempt of %s: %w", a.Migration, err)
	}
	a = a.begun()
	// The running record goes to the small running collection, not to
	// history: history receives each attempt once, when it ends, so no
	// history record is ever rewritten, and ending an attempt is an insert
	// whose cost does not grow with the length of history (on FerretDB
	// every update scans its whole collection). Latest and List read the
	// running collection too, so the record is visible from this moment.
	//
	// The insert is also the migration's claim: the running collection has
	// a unique index on migration (see ensure), so of two runs that decided
	// to start the same migration exactly one inserts, on MongoDB and on
	// the development server alike, and the other gets a duplicate key.
	if _, err := s.running.InsertOne(ctx, a); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return Attempt{}, s.claimed(ctx, a.Migration)
		}
		return Attempt{}, fmt.Errorf("begin attempt of %s: write running record: %w", a.Migration, err)
	}
	s.mu.Lock()
	if s.begun == nil {
		s.begun = map[string]Attempt{}
	}
	s.begun[a.ID] = a
	s.mu.Unlock()
	return a, nil
}

// claimed builds the *ClaimedError for migration, naming the holder when
// it can still be read.
func (s *MongoStore) claimed(ctx context.Context, migration string) error {
	e := &ClaimedError{Migration: migration}
	err := s.running.FindOne(ctx, bson.D{{Key: "migration", Value: migration}},
		options.FindOne().SetProjection(bson.D{{Key: "output_tail", Value: 0}})).Decode(&e.Holder)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("begin attempt of %s: %w (reading the holder failed: %v)", migration, e, err)
	}
	return fmt.Errorf("begin attempt of %s: %w", migration, e)
}

// Abandon implements Store.
func (s *MongoStore) Abandon(ctx context.Context, id string) error {
	s.takeBegun(id)
	res, err := s.running.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return fmt.Errorf("abandon attempt %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("abandon attempt %s: %w", id, ErrNotFound)
	}
	return nil
}

// takeBegun returns and forgets the running record this instance wrote
// for id, if any.
func (s *MongoStore) takeBegun(id string) (Attempt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.begun[id]
	delete(s.begun, id)
	return a, ok
}

// Finish implements Store.
func (s *MongoStore) Finish(ctx context.Context, id string, o Outcome) (Attempt, error) {
	if err := validateOutcome(o); err != nil {
		return Attempt{}, err
	}
	if err := s.ensure(ctx); err != nil {
		return Attempt{}, fmt.Errorf("finish attempt %s: %w", id, err)
	}
	a, ok := s.takeBegun(id)
	if !ok {
		err := s.running.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return Attempt{}, s.notRunning(ctx, id)
		}
		if err != nil {
			return Attempt{}, fmt.Errorf("finish attempt %s: read running record: %w", id, err)
		}
	}
	a = a.ended(o)
	won, err := s.end(ctx, a)
	if err != nil {
		return Attempt{}, fmt.Errorf("finish attempt %s: %w", id, err)
	}
	if !won {
		return Attempt{}, s.notRunning(ctx, id)
	}
	return a, nil
}

// notRunning explains why attempt id cannot be finished: it has ended
// already (*NotRunningError), or it does not exist (ErrNotFound).
func (s *MongoStore) notRunning(ctx context.Context, id string) error {
	cur, err := s.get(ctx, id, bson.D{{Key: "status", Value: 1}})
	if err != nil {
		return fmt.Errorf("finish attempt %s: %w", id, err)
	}
	return &NotRunningError{ID: id, Status: cur.Status}
}

// end writes the terminal record a (whose running record is in the running
// collection) to history, folds it into its summary, then removes the
// running record; won is false when another writer ended it first.
//
// The insert is the decision: history's unique _id lets exactly one of a
// Finish and an InterruptRunning racing on one attempt win, on MongoDB and
// on the development server alike. The running record is removed last, so
// a crash between the steps leaves it in place, and Latest, finding its
// terminal record in history, reads the outcome from there.
func (s *MongoStore) end(ctx context.Context, a Attempt) (won bool, err error) {
	if _, err := s.history.InsertOne(ctx, a); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		return false, fmt.Errorf("write outcome: %w", err)
	}
	if err := s.settle(ctx, []Attempt{a}); err != nil {
		return true, fmt.Errorf("outcome recorded, summary not updated: %w", err)
	}
	if _, err := s.running.DeleteOne(ctx, bson.D{{Key: "_id", Value: a.ID}}); err != nil {
		return true, fmt.Errorf("outcome recorded, running record not removed: %w", err)
	}
	return true, nil
}

// Record implements Store.
func (s *MongoStore) Record(ctx context.Context, attempts ...Attempt) ([]Attempt, error) {
	if len(attempts) == 0 {
		return nil, nil
	}
	out := make([]Attempt, len(attempts))
	docs := make([]any, len(attempts))
	t := now()
	for i, a := range attempts {
		if err := validateRecord(a); err != nil {
			return nil, err
		}
		a.ID = bson.NewObjectID().Hex()
		if a.StartedAt.IsZero() {
			a.StartedAt = t
		}
		a.StartedAt = dbTime(a.StartedAt)
		if a.FinishedAt == nil {
			f := a.StartedAt
			a.FinishedAt = &f
		} else {
			f := dbTime(*a.FinishedAt)
			a.FinishedAt = &f
		}
		a.OutputTail = trimTail(a.OutputTail)
		out[i], docs[i] = a, a
	}
	if err := s.ensure(ctx); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if err := s.markPending(ctx, out); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if err := insertMany(ctx, s.history, docs); err != nil {
		return nil, fmt.Errorf("record: write records: %w", err)
	}
	if err := s.settle(ctx, out); err != nil {
		return nil, fmt.Errorf("record: records written, summary not updated: %w", err)
	}
	return out, nil
}

// InterruptRunning implements Store.
func (s *MongoStore) InterruptRunning(ctx context.Context, runID, reason string) ([]Attempt, error) {
	if runID == "" {
		return nil, fmt.Errorf("%w: interrupt running attempts: empty run id", ErrInvalid)
	}
	if err := s.ensure(ctx); err != nil {
		return nil, fmt.Errorf("interrupt attempts of run %s: %w", runID, err)
	}
	running, err := s.findIn(ctx, s.running, bson.D{{Key: "run_id", Value: runID}}, nil)
	if err != nil {
		return nil, fmt.Errorf("interrupt attempts of run %s: %w", runID, err)
	}
	var done []Attempt
	for _, a := range running {
		// finished_at is when the run was found dead.
		a = a.interrupted(now(), reason)
		won, err := s.end(ctx, a)
		if err != nil {
			return done, fmt.Errorf("interrupt attempt %s of run %s: %w", a.ID, runID, err)
		}
		if won { // else it finished meanwhile: its own outcome stands
			done = append(done, a)
		}
	}
	return done, nil
}

// markPending announces operator records in their heads before they are
// written (see head).
func (s *MongoStore) markPending(ctx context.Context, as []Attempt) error {
	ids := map[string][]string{}
	var order []string
	for _, a := range as {
		if _, ok := ids[a.Migration]; !ok {
			order = append(order, a.Migration)
		}
		ids[a.Migration] = append(ids[a.Migration], a.ID)
	}
	models := make([]mongo.WriteModel, 0, len(order))
	for _, m := range order {
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: m}}).
			SetUpdate(bson.D{{Key: "$addToSet", Value: bson.D{{Key: "p", Value: bson.D{{Key: "$each", Value: ids[m]}}}}}}).
			SetUpsert(true))
	}
	if err := bulkWrite(ctx, s.state, models); err != nil {
		return fmt.Errorf("announce records in summary: %w", err)
	}
	return nil
}

// maxBatch bounds the statements of one write command. FerretDB v1.24
// (SQLite) never answers an update command of 100 or more statements, so
// a baseline of many migrations would hang on the development server;
// MongoDB accepts far larger batches, and smaller ones cost it nothing
// that matters here.
const maxBatch = 50

// bulkWrite runs models in ordered batches of at most maxBatch.
func bulkWrite(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) error {
	for start := 0; start < len(models); start += maxBatch {
		if _, err := c.BulkWrite(ctx, models[start:min(start+maxBatch, len(models))]); err != nil {
			return err
		}
	}
	return nil
}

// insertMany inserts docs in ordered batches of at most maxBatch.
func insertMany(ctx context.Context, c *mongo.Collection, docs []any) error {
	for start := 0; start < len(docs); start += maxBatch {
		if _, err := c.InsertMany(ctx, docs[start:min(start+maxBatch, len(docs))]); err != nil {
			return err
		}
	}
	return nil
}

// settle folds terminal records into their heads (see head).
func (s *MongoStore) settle(ctx context.Context, as []Attempt) error {
	if len(as) == 0 {
		return nil
	}
	models := make([]mongo.WriteModel, 0, len(as))
	for _, a := range as {
		e := encodeEntry(a.Entry())
		maxes := bson.D{{Key: "l", Value: e}}
		if a.Status.Applied() {
			maxes = append(maxes, bson.E{Key: "a", Value: e})
		}
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: a.Migration}}).
			SetUpdate(bson.D{
				{Key: "$max", Value: maxes},
				{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}},
				{Key: "$pull", Value: bson.D{{Key: "p", Value: a.ID}}},
			}).
			SetUpsert(true))
	}
	if err := bulkWrite(ctx, s.state, models); err != nil {
		return fmt.Errorf("update summary: %w", err)
	}
	return nil
}
