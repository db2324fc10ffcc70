package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
)

// DBFlags are the flags of every command that talks to the database.
type DBFlags struct {
	URI               string
	DB                string
	HistoryCollection string
	RunningCollection string
	StateCollection   string
	LockCollection    string
	Timeout           time.Duration
}

// AddDBFlags registers the database flags on cmd.
func AddDBFlags(cmd *cobra.Command, f *DBFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.URI, "uri", "", "MongoDB connection string (default $MONGODB_URI)")
	fl.StringVar(&f.DB, "db", "", "database (default: the URI's path)")
	fl.StringVar(&f.HistoryCollection, "history-collection", "relmig_history", "collection of attempt records")
	fl.StringVar(&f.RunningCollection, "running-collection", "relmig_running", "collection of attempts under way")
	fl.StringVar(&f.StateCollection, "state-collection", "relmig_state", "collection of per-migration summaries")
	fl.StringVar(&f.LockCollection, "lock-collection", "relmig_lock", "collection of the lease lock and its audit events")
	fl.DurationVar(&f.Timeout, "server-timeout", 10*time.Second, "how long to look for a reachable server before giving up")
}

// operationTimeout bounds each database operation that has no deadline of
// its own; the checks and the lease set shorter or longer ones themselves.
const operationTimeout = 2 * time.Minute

// DB is an open connection to the target database with relmig's store.
type DB struct {
	Client   *mongo.Client
	Database *mongo.Database
	Store    *history.MongoStore
	// URI is the connection string as given (with credentials: never print
	// it); Display is the same with the password replaced.
	URI, Display string
	// TargetURI is URI naming Database in its path (see TargetURI), what
	// {uri} expands to.
	TargetURI string
	// Secrets are the strings to redact from anything printed or recorded.
	Secrets []string
	flags   DBFlags
}

// Connect validates the flags, connects, and makes sure a server answers
// within the server timeout, so a wrong address fails fast with a clear
// reason instead of hanging. Bad URIs and flags exit with code 2.
func (f *Factory) Connect(ctx context.Context, fl DBFlags) (*DB, error) {
	uri := fl.URI
	if uri == "" {
		uri = f.Getenv("MONGODB_URI")
	}
	if uri == "" {
		return nil, BadInput(errors.New("no database: pass --uri or set MONGODB_URI"))
	}
	if fl.Timeout <= 0 {
		return nil, Usagef("--server-timeout %s: must be positive", fl.Timeout)
	}
	layout := history.Layout{History: fl.HistoryCollection, Running: fl.RunningCollection, State: fl.StateCollection, Lock: fl.LockCollection}
	if err := layout.Validate(); err != nil {
		return nil, BadInput(err)
	}
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		return nil, BadInput(fmt.Errorf("--uri: %s", redactErr(err.Error(), uri)))
	}
	name := fl.DB
	if name == "" {
		name = cs.Database
	}
	if name == "" {
		return nil, BadInput(fmt.Errorf("--uri %s names no database: add it to the URI's path or pass --db", Redact(uri)))
	}
	// Every operation without a deadline of its own gets one (operationTimeout):
	// a server that stops answering on an open connection must stop the
	// run with an error, never hang it.
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(fl.Timeout).
		SetTimeout(operationTimeout).SetAppName("relmig"))
	if err != nil {
		return nil, BadInput(fmt.Errorf("--uri: %s", redactErr(err.Error(), uri)))
	}
	pctx, cancel := context.WithTimeout(ctx, fl.Timeout+time.Second)
	defer cancel()
	if err := f.ping(pctx, client, Redact(uri), min(connectingAfter, fl.Timeout/2)); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, connectError(err, uri, cs.SSL, fl.Timeout)
	}
	db := client.Database(name)
	if err := history.EnsureLayout(pctx, db, layout); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		if errors.Is(err, history.ErrLayout) {
			return nil, BadInput(err)
		}
		return nil, fmt.Errorf("connect to %s: %s", Redact(uri), redactErr(err.Error(), uri))
	}
	target, err := TargetURI(uri, cs, name)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, BadInput(err)
	}
	store, err := history.NewMongoStore(db, history.WithHistoryCollection(fl.HistoryCollection),
		history.WithRunningCollection(fl.RunningCollection), history.WithStateCollection(fl.StateCollection))
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, BadInput(err)
	}
	return &DB{Client: client, Database: db, Store: store, URI: uri, TargetURI: target, Display: Redact(uri), Secrets: secrets(uri, cs), flags: fl}, nil
}

// connectingAfter is how long a connection may take before relmig says
// that it is connecting, so a slow server never looks like a hang.
const connectingAfter = time.Second

// ping waits for a server to answer, saying "connecting to …" on stderr
// once it takes longer than after (a second, or half the server timeout
// when that is shorter, so the line always comes before the error).
func (f *Factory) ping(ctx context.Context, client *mongo.Client, display string, after time.Duration) error {
	done := make(chan struct{})
	said := make(chan struct{})
	go func() {
		defer close(said)
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintf(f.IO.ErrOut, "connecting to %s…\n", display)
		case <-done:
		}
	}()
	err := client.Ping(ctx, nil)
	close(done)
	<-said
	return err
}

// connectError tells the three ways a connection fails apart: the server
// refused the credentials, TLS failed (also a server that hangs up on a TLS
// handshake because it does not speak TLS), or no server answered.
func connectError(err error, uri string, useTLS bool, timeout time.Duration) error {
	reason := redactErr(serverError(err), uri)
	var authErr *auth.Error
	var recordErr tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &authErr):
		return fmt.Errorf("connect to %s: authentication failed (check the user, password, authSource and authMechanism): %s", Redact(uri), reason)
	case errors.As(err, &recordErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &verifyErr),
		strings.Contains(reason, "tls: "), strings.Contains(reason, "x509: "),
		useTLS && (errors.Is(err, io.EOF) || strings.HasSuffix(reason, "EOF") || strings.Contains(reason, "connection reset")):
		return fmt.Errorf("connect to %s: TLS failed (check tls=, tlsCAFile= and that the server speaks TLS): %s", Redact(uri), reason)
	}
	return fmt.Errorf("connect to %s: no server answered within %s: %s", Redact(uri), timeout, reason)
}

// Locker returns the lease lock for this database, owned by the given run.
func (d *DB) Locker(owner lock.Owner, opts ...lock.Option) (*lock.Locker, error) {
	opts = append([]lock.Option{lock.WithCollection(d.flags.LockCollection)}, opts...)
	return lock.New(d.Database, d.Store, owner, opts...)
}

// Close disconnects, also after the command's context was cancelled.
func (d *DB) Close(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = d.Client.Disconnect(cctx)
}

// Redact returns uri with its password replaced by "***", for display.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(uri, "@"); i >= 0 && strings.Contains(uri, "://") {
			return uri[:strings.Index(uri, "://")+3] + "***@" + uri[i+1:]
		}
		return uri
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
}

// redactErr removes the URI's password from a driver message.
func redactErr(msg, uri string) string {
	if cs, err := connstring.Parse(uri); err == nil {
		for _, s := range secrets(uri, cs) {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return strings.ReplaceAll(msg, uri, Redact(uri))
}

// serverError keeps the reason from a server-selection error ("connection
// refused", "i/o timeout") rather than the driver's topology dump.
func serverError(err error) string {
	msg := oneLine(err.Error())
	if i := strings.LastIndex(msg, "Last error: "); i >= 0 {
		msg = msg[i+len("Last error: "):]
		if j := strings.Index(msg, " }"); j >= 0 {
			msg = msg[:j]
		}
	}
	return msg
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
