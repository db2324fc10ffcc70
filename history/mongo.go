package history

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Default collection names.
const (
	DefaultHistoryCollection = "relmig_history"
	DefaultStateCollection   = "relmig_state"
	DefaultRunningCollection = "relmig_running"
)

// MongoStore is the Store in the target MongoDB database, so that a backup
// and restore of the database carries its history along, and a restored database
// never claims migrations that ran after the backup.
//
// It keeps three collections:
//
//   - history: one document per ended attempt (type Attempt), the source of
//     truth, written once when the attempt ends and never changed;
//   - running: the attempts under way, each written before its script
//     starts and moved to history when it ends (see end);
//   - state: one small document per migration summarising its records, so
//     that Latest reads one document per migration instead of every record.
//     A state document is derived data and is written so that it can never
//     hide a record (see settle and markPending); it may be rebuilt from
//     history at any time.
//
// Every write uses majority write concern with journaling, and every read
// goes to the primary, whatever the URI says, so that a run reads what the
// previous one wrote.
type MongoStore struct {
	history *mongo.Collection
	// historyMajority and stateMajority are read with majority read
	// concern, for the re-read that follows a claim (LatestEnded).
	historyMajority *mongo.Collection
	stateMajority   *mongo.Collection
	running         *mongo.Collection
	state           *mongo.Collection

	mu    sync.Mutex // guards ready and begun
	ready bool       // indexes ensured once per store instance
	// begun holds the running records this instance wrote and has not
	// finished, so Finish need not read back what Begin just wrote; an
	// attempt begun elsewhere is read from the running collection.
	begun map[string]Attempt
}

var _ Store = (*MongoStore)(nil)

// StoreOption configures NewMongoStore.
type StoreOption func(*storeConfig) error

type storeConfig struct {
	history, running, state string
}

// WithHistoryCollection names the attempt collection (default
// relmig_history).
func WithHistoryCollection(name string) StoreOption {
	return func(c *storeConfig) error {
		if err := checkCollectionName(name); err != nil {
			return fmt.Errorf("history collection: %w", err)
		}
		c.history = name
		return nil
	}
}

// WithStateCollection names the per-migration summary collection (default
// relmig_state).
func WithStateCollection(name string) StoreOption {
	return func(c *storeConfig) error {
		if err := checkCollectionName(name); err != nil {
			return fmt.Errorf("state collection: %w", err)
		}
		c.state = name
		return nil
	}
}

// WithRunningCollection names the collection of attempts under way
// (default relmig_running).
func WithRunningCollection(name string) StoreOption {
	return func(c *storeConfig) error {
		if err := checkCollectionName(name); err != nil {
			return fmt.Errorf("running collection: %w", err)
		}
		c.running = name
		return nil
	}
}

// NewMongoStore returns the store in db. Defaults: collections
// relmig_history, relmig_running and relmig_state. It does no I/O; indexes are created on
// first use. Errors: ErrInvalid for a nil db, a bad collection name, or two
// options naming the same collection.
func NewMongoStore(db *mongo.Database, opts ...StoreOption) (*MongoStore, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil database", ErrInvalid)
	}
	cfg := storeConfig{history: DefaultHistoryCollection, running: DefaultRunningCollection, state: DefaultStateCollection}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.history == cfg.state || cfg.history == cfg.running || cfg.running == cfg.state {
		return nil, fmt.Errorf("%w: history, running and state collections must differ (%q, %q, %q)", ErrInvalid, cfg.history, cfg.running, cfg.state)
	}
	return &MongoStore{
		history:         db.Collection(cfg.history, durable()),
		historyMajority: db.Collection(cfg.history, durable().SetReadConcern(readconcern.Majority())),
		stateMajority:   db.Collection(cfg.state, durable().SetReadConcern(readconcern.Majority())),
		running:         db.Collection(cfg.running, durable()),
		state:           db.Collection(cfg.state, durable()),
	}, nil
}

// durable is the collection setting every relmig collection uses: majority
// write concern with journaling (a record that a failover can roll back is
// no evidence), reads from the primary.
func durable() *options.CollectionOptionsBuilder {
	wc := writeconcern.Majority()
	journal := true
	wc.Journal = &journal
	return options.Collection().SetWriteConcern(wc).SetReadPreference(readpref.Primary())
}

// DurableCollection returns collection name of db with the settings every
// relmig collection uses (see durable): for packages that keep their own
// collections beside the history, such as the lease lock.
func DurableCollection(db *mongo.Database, name string) *mongo.Collection {
	return db.Collection(name, durable())
}

// CheckCollectionName returns an error wrapping ErrInvalid when name cannot
// be a relmig collection.
func CheckCollectionName(name string) error { return checkCollectionName(name) }

func checkCollectionName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty collection name", ErrInvalid)
	case strings.ContainsAny(name, "$\x00"), strings.HasPrefix(name, "system."):
		return fmt.Errorf("%w: collection name %q is not allowed", ErrInvalid, name)
	}
	return nil
}

// historyIndexes serve List's filters and order and InterruptRunning. No
// TTL or partial index: history is never expired, and the development
// server has neither.
func historyIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		{Keys: bson.D{{Key: "started_at", Value: -1}, {Key: "_id", Value: -1}}, Options: options.Index().SetName("relmig_started")},
		{Keys: bson.D{{Key: "migration", Value: 1}, {Key: "started_at", Value: -1}}, Options: options.Index().SetName("relmig_migration_started")},
		{Keys: bson.D{{Key: "run_id", Value: 1}, {Key: "status", Value: 1}}, Options: options.Index().SetName("relmig_run_status")},
	}
}

// ensure creates the indexes once per store instance. A failure is not
// remembered, so the next call tries again.
func (s *MongoStore) ensure(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	// One index per createIndexes command: FerretDB v1.24 drops the
	// connection when one command lists several indexes that all exist
	// already. createIndexes with an identical existing index is a no-op on
	// MongoDB, so this is idempotent on both.
	for _, m := range historyIndexes() {
		if _, err := s.history.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create history indexes: %w", err)
		}
	}
	run := mongo.IndexModel{Keys: bson.D{{Key: "run_id", Value: 1}}, Options: options.Index().SetName("relmig_run")}
	if _, err := s.running.Indexes().CreateOne(ctx, run); err != nil {
		return fmt.Errorf("create running indexes: %w", err)
	}
	// The claim (see Begin): one running record per migration. A unique
	// index is enforced by the server on every write, on MongoDB 5-8 and on
	// the development server; it is not partial and not sparse, so both
	// have it.
	claim := mongo.IndexModel{Keys: bson.D{{Key: "migration", Value: 1}}, Options: options.Index().SetName("relmig_claim").SetUnique(true)}
	if _, err := s.running.Indexes().CreateOne(ctx, claim); err != nil {
		return fmt.Errorf("create the claim index on the running collection (two attempts of one migration are recorded as running: break the lock with relmig unlock --force, then retry): %w", err)
	}
	s.ready = true
	return nil
}

// now is the store's clock: the client's wall clock, at BSON precision.
func now() time.Time { return dbTime(time.Now()) }
