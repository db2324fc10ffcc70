// Command devdb runs a MongoDB-protocol server for relmig's tests and demo.
//
// It embeds FerretDB with its SQLite backend, listens on a free loopback port,
// keeps its data in a folder (a fresh temporary one unless -data is given),
// prints its URI on standard output once it accepts connections, and stops
// cleanly on SIGINT or SIGTERM. With -urifile it also writes the URI to a file,
// so that a Makefile can wait for the file instead of parsing output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devdb:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free port)")
	dataDir := flag.String("data", "", "data folder (default: a new temporary folder, removed on exit)")
	uriFile := flag.String("urifile", "", "also write the URI to this file once the server answers")
	verbose := flag.Bool("v", false, "log FerretDB's messages at info level")
	flag.Parse()

	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "relmig-devdb-")
		if err != nil {
			return fmt.Errorf("create data folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("data folder: %w", err)
	}

	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: abs + "/"}).String(),
	})
	if err != nil {
		return fmt.Errorf("start ferretdb: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	uri := f.MongoDBURI()
	if err := waitReady(ctx, uri, done); err != nil {
		return err
	}
	fmt.Println(uri)
	if *uriFile != "" {
		// Written via rename so a reader never sees a half-written file.
		tmp := *uriFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(uri+"\n"), 0o644); err != nil {
			return fmt.Errorf("write uri file: %w", err)
		}
		if err := os.Rename(tmp, *uriFile); err != nil {
			return fmt.Errorf("write uri file: %w", err)
		}
		defer os.Remove(*uriFile)
	}

	if err := <-done; err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// waitReady returns once the listener accepts TCP connections, so that the URI
// is printed only when a client can use it.
func waitReady(ctx context.Context, uri string, done <-chan error) error {
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("parse uri %q: %w", uri, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("server stopped before it was ready")
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not ready after 30s: %w", u.Host, err)
		}
	}
}
