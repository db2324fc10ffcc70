package cmdutil

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/internal/testdb"
)

// TestConnectErrors checks that the three ways a connection fails each get
// their own message, against the development server.
func TestConnectErrors(t *testing.T) {
	uri, _ := testdb.URIWithDB(t)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	// A port nobody listens on: one that was just free.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	tests := []struct {
		name, uri, want string
		connecting      bool
	}{
		{"authentication", "mongodb://nobody:wrong-pw@" + u.Host + u.Path + "?authMechanism=SCRAM-SHA-256",
			`^connect to mongodb://nobody:\*\*\*@[^ ]+: authentication failed \(check the user, password, authSource and authMechanism\): .*AuthenticationFailed`, false},
		{"tls", "mongodb://" + u.Host + u.Path + "?tls=true",
			`^connect to mongodb://[^ ]+\?tls=true: TLS failed \(check tls=, tlsCAFile= and that the server speaks TLS\): `, false},
		{"unreachable", "mongodb://" + closed + "/x",
			`^connect to mongodb://[^ ]+: no server answered within 1.5s: .*connection refused`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			f := &Factory{IO: &IOStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}, Getenv: func(string) string { return "" }}
			db, err := f.Connect(context.Background(), DBFlags{URI: tt.uri, Timeout: 1500 * time.Millisecond,
				HistoryCollection: "h", RunningCollection: "r", StateCollection: "s", LockCollection: "l"})
			if err == nil {
				db.Close(context.Background())
				t.Fatal("connected")
			}
			if !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("error %q, want %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "wrong-pw") || strings.Contains(errOut.String(), "wrong-pw") {
				t.Error("the password shows")
			}
			// The unreachable server takes the whole timeout, longer than
			// the second after which relmig says it is connecting.
			if got := strings.Contains(errOut.String(), "connecting to mongodb://"); tt.connecting && !got {
				t.Errorf("stderr %q: no connecting line", errOut.String())
			}
		})
	}
}
