// Package testdb gives tests a fresh database on the development
// MongoDB-protocol server that `make test` starts (see scripts/with-devdb.sh).
//
// Tests never mock the database: when MONGODB_URI is not set they fail with
// instructions rather than skip, so a run that forgot the server cannot pass.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// URI returns the development server's URI from MONGODB_URI, failing the test
// when it is not set.
func URI(t testing.TB) string {
	t.Helper()
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Fatal("MONGODB_URI is not set: run the tests with `make test`, or start `make devdb` and export the URI it prints")
	}
	return uri
}

// Name returns a database name unique to this test run, so tests can share
// one server and run in parallel.
func Name(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	if len(n) > 30 {
		n = n[:30]
	}
	return "t_" + n + "_" + hex.EncodeToString(b[:])
}

// URIWithDB returns URI(t) with its path set to a fresh database name, and
// that name.
func URIWithDB(t testing.TB) (uri, db string) {
	t.Helper()
	base := URI(t)
	db = Name(t)
	// The dev server's URI has the form mongodb://host:port/ with no options.
	i := strings.Index(base[len("mongodb://"):], "/")
	if i < 0 {
		return base + "/" + db, db
	}
	head := base[:len("mongodb://")+i]
	rest := base[len("mongodb://")+i+1:]
	if q := strings.Index(rest, "?"); q >= 0 {
		return head + "/" + db + rest[q:], db
	}
	return head + "/" + db, db
}

// New connects to the development server and returns a client and a fresh
// database that is dropped when the test ends.
func New(t testing.TB) (*mongo.Client, *mongo.Database) {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(URI(t)).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatalf("connect to %s: %v", URI(t), err)
	}
	db := client.Database(Name(t))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	return client, db
}
