package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/cmd/relmig/internal/root"
)

func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"relmig": func() {
			os.Exit(int(root.System(context.Background(), "v0.0.0-test")))
		},
		// exits CODE ARGS... runs relmig with ARGS and succeeds only when it
		// exits with CODE, so scripts pin the documented exit codes.
		"exits": func() {
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "usage: exits CODE ARGS...")
				os.Exit(99)
			}
			os.Args = append([]string{"relmig"}, os.Args[2:]...)
			if got := int(root.System(context.Background(), "v0.0.0-test")); got != want {
				fmt.Fprintf(os.Stderr, "exit code %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// update rewrites the golden files of cmp commands in the scripts:
// go test ./cmd/relmig -run TestScripts -update
var update = flag.Bool("update", false, "update testscript golden files")

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Under -race, every relmig command would sleep a second before
			// a clean exit (to let late race reports out); races are
			// reported when they happen all the same.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			// Node.js scripts find the mongodb driver that the Makefile
			// installs into the module root from the committed lockfile.
			if root, err := moduleRoot(); err == nil {
				env.Setenv("NODE_PATH", filepath.Join(root, "node_modules"))
			}
			uri := os.Getenv("MONGODB_URI")
			env.Setenv("MONGODB_URI", uri)
			if uri == "" {
				return nil // scripts that need a database fail with "no database"
			}
			// DBURI names a database of the script's own, so scripts run in
			// parallel on one server; it is dropped when the script ends.
			name := scriptDB(filepath.Base(env.WorkDir))
			dburi, err := withDB(uri, name)
			if err != nil {
				return err
			}
			env.Setenv("DBURI", dburi)
			// DBURI_PW is the same database through a URI with credentials,
			// which the development server accepts with the PLAIN
			// mechanism; scripts check that the password never shows.
			env.Setenv("DBURI_PW", withCredentials(dburi, "relmig", "s3cr3t-pw"))
			env.Defer(func() { dropDB(uri, name) })
			return nil
		},
		UpdateScripts: *update,
	})
}

// scriptDB returns a database name for the script whose work folder is
// base ("script-history"), unique to this run so that a long-lived
// development server never hands a script another run's records.
func scriptDB(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(strings.TrimPrefix(base, "script-")))
	return "s_" + name + "_" + hex.EncodeToString(b[:])
}

// withDB returns uri with its path set to the database name.
func withDB(uri, name string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("MONGODB_URI: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// withCredentials returns uri with a user and password, authenticated
// with the PLAIN mechanism.
func withCredentials(uri, user, password string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.User = url.UserPassword(user, password)
	q := u.Query()
	q.Set("authMechanism", "PLAIN")
	u.RawQuery = q.Encode()
	return u.String()
}

// moduleRoot returns the folder of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func dropDB(uri, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		return
	}
	defer func() { _ = client.Disconnect(ctx) }()
	_ = client.Database(name).Drop(ctx)
}
