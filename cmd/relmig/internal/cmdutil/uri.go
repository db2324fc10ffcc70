package cmdutil

import (
	"fmt"
	"net/url"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// TargetURI returns uri naming database db in its path, so that {uri}
// always names the database relmig works on, also when it came from --db.
// The path of a MongoDB URI is also the default authentication database:
// when uri has credentials and no explicit authSource, the one the driver
// derived (the original path, else admin) is added as authSource, so the
// script authenticates exactly as relmig did. Options, hosts and
// credentials are kept as written.
func TargetURI(uri string, cs *connstring.ConnString, db string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "", fmt.Errorf("--uri %s: no scheme", Redact(uri))
	}
	hosts := strings.LastIndex(rest, "@") + 1 // a password's '@' is percent-encoded
	end := len(rest)
	if i := strings.IndexAny(rest[hosts:], "/?"); i >= 0 {
		end = hosts + i
	}
	authority, tail := rest[:end], rest[end:]
	var query string
	if _, q, has := strings.Cut(tail, "?"); has {
		query = q
	}
	if cs != nil && (cs.Username != "" || cs.PasswordSet) && !cs.AuthSourceSet && cs.AuthSource != "" && cs.AuthSource != db {
		opt := "authSource=" + url.QueryEscape(cs.AuthSource)
		if query == "" {
			query = opt
		} else {
			query += "&" + opt
		}
	}
	out := scheme + "://" + authority + "/" + url.PathEscape(db)
	if query != "" {
		out += "?" + query
	}
	return out, nil
}
