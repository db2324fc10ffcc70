package cmdutil

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

func TestTargetURI(t *testing.T) {
	tests := []struct{ uri, db, want string }{
		{"mongodb://h:27017", "novu", "mongodb://h:27017/novu"},
		{"mongodb://h:27017/", "novu", "mongodb://h:27017/novu"},
		{"mongodb://h/other", "novu", "mongodb://h/novu"},
		{"mongodb://h1:1,h2:2/other?replicaSet=rs&w=majority", "novu", "mongodb://h1:1,h2:2/novu?replicaSet=rs&w=majority"},
		{"mongodb://h/novu", "novu", "mongodb://h/novu"},
		// The path was the auth database: it stays that, as authSource.
		{"mongodb://u:p%40ss@h/admin2", "novu", "mongodb://u:p%40ss@h/novu?authSource=admin2"},
		{"mongodb://u:p@h", "novu", "mongodb://u:p@h/novu?authSource=admin"},
		{"mongodb://u:p@h/?tls=true", "novu", "mongodb://u:p@h/novu?tls=true&authSource=admin"},
		{"mongodb://u:p@h/x?authSource=auth", "novu", "mongodb://u:p@h/novu?authSource=auth"},
		{"mongodb://u:p@h/novu", "novu", "mongodb://u:p@h/novu"},
		{"mongodb://h/x", "a b", "mongodb://h/a%20b"},
	}
	for _, tt := range tests {
		cs, err := connstring.ParseAndValidate(tt.uri)
		if err != nil {
			t.Fatalf("%s: %v", tt.uri, err)
		}
		got, err := TargetURI(tt.uri, cs, tt.db)
		if err != nil || got != tt.want {
			t.Errorf("TargetURI(%q, %q) = %q, %v; want %q", tt.uri, tt.db, got, err, tt.want)
			continue
		}
		// What it names is what relmig connected to, authenticated alike.
		back, err := connstring.ParseAndValidate(got)
		if err != nil || back.Database != tt.db || back.AuthSource != cs.AuthSource {
			t.Errorf("%q parses as database %q, authSource %q (%v); want %q, %q", got, back.Database, back.AuthSource, err, tt.db, cs.AuthSource)
		}
	}
}
