package history

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// LayoutCollection is where a database records which collections hold its
// relmig data. Its name is fixed, unlike theirs: it is how a run started
// with other collection flags finds out, instead of seeing an empty
// history and running every migration again.
const LayoutCollection = "relmig_layout"

// Layout names the collections of relmig's data in one database.
type Layout struct {
	History string `bson:"history" json:"history"`
	Running string `bson:"running" json:"running"`
	State   string `bson:"state" json:"state"`
	Lock    string `bson:"lock" json:"lock"`
}

// ErrLayout is wrapped by the error of EnsureLayout when the database
// records other collections than the ones given.
var ErrLayout = errors.New("collections differ from the ones this database records")

// Validate checks that every name is allowed and that no two are the same.
// Errors: ErrInvalid.
func (l Layout) Validate() error {
	names := map[string]string{}
	for _, f := range []struct{ what, name string }{{"history", l.History}, {"running", l.Running}, {"state", l.State}, {"lock", l.Lock}} {
		if err := checkCollectionName(f.name); err != nil {
			return fmt.Errorf("%s collection: %w", f.what, err)
		}
		if other, dup := names[f.name]; dup {
			return fmt.Errorf("%w: the %s and %s collections are both %q; they must differ", ErrInvalid, other, f.what, f.name)
		}
		names[f.name] = f.what
	}
	return nil
}

// EnsureLayout compares l with the layout db records, and records l when
// db records none yet. Recording is best effort (a user allowed only to
// read cannot, and needs not); the comparison is not.
// Errors: ErrInvalid (see Validate), an error wrapping ErrLayout that names
// the recorded collections, or a database error reading them.
func EnsureLayout(ctx context.Context, db *mongo.Database, l Layout) error {
	if err := l.Validate(); err != nil {
		return err
	}
	c := db.Collection(LayoutCollection, durable())
	for range 2 {
		var got Layout
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "collections"}}).Decode(&got)
		if err == nil {
			if got != l {
				return fmt.Errorf("%w: this database keeps relmig's records in history=%s running=%s state=%s lock=%s (pass those collection flags)",
					ErrLayout, got.History, got.Running, got.State, got.Lock)
			}
			return nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("read the recorded collections: %w", err)
		}
		doc := bson.D{{Key: "_id", Value: "collections"}, {Key: "history", Value: l.History}, {Key: "running", Value: l.Running},
			{Key: "state", Value: l.State}, {Key: "lock", Value: l.Lock}}
		if _, err := c.InsertOne(ctx, doc); err == nil || !mongo.IsDuplicateKeyError(err) {
			return nil // recorded, or not allowed to: nothing recorded contradicts l
		}
		// Another run recorded a layout first: compare with it.
	}
	return nil
}
