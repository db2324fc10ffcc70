package cmdutil

import (
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

func TestSecretsEveryEncoding(t *testing.T) {
	// The password is p@ss/Wörd%+ : written with lower-case hex for '/'
	// and an encoded '+', as a user may well write it.
	uri := "mongodb://admin:p%40ss%2fW%C3%B6rd%25%2B@db1.example:27017,db2.example/app?authSource=admin"
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		t.Fatal(err)
	}
	got := secrets(uri, cs)
	for _, want := range []string{
		"p@ss/Wörd%+",                          // decoded
		"p%40ss%2fW%C3%B6rd%25%2B",             // as written
		"p%40ss%2FW%C3%B6rd%25%2B",             // upper-case hex (also the query escape)
		"p%40ss%2fW%c3%b6rd%25%2b",             // lower-case hex
		"p%40ss%2FW%C3%B6rd%25+",               // the path escape keeps '+'
		"%70%40%73%73%2F%57%C3%B6%72%64%25%2B", // every byte
	} {
		if !slices.Contains(got, want) {
			t.Errorf("secrets lack %q; have %q", want, got)
		}
	}
	for _, s := range got {
		if s == "" || strings.Contains(s, "admin") {
			t.Errorf("secret %q: empty, or carries the user name", s)
		}
	}
	if cs, _ := connstring.ParseAndValidate("mongodb://db.example/app"); secrets("mongodb://db.example/app", cs) != nil {
		t.Error("a URI without a password has secrets")
	}
}

func FuzzRawPassword(f *testing.F) {
	for _, s := range []string{"mongodb://u:p@h/db", "mongodb://h/db?x=a@b", "mongodb+srv://u:p%40@h", "mongodb://u@h", "://", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		pw, ok := rawPassword(uri)
		if ok && (pw == "" || !strings.Contains(uri, pw)) {
			t.Fatalf("rawPassword(%q) = %q, not a part of the URI", uri, pw)
		}
	})
}
