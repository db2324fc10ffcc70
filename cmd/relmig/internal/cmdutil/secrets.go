package cmdutil

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// secrets returns every spelling of the URI's password that a script, a
// driver message or a log line may contain, so that all are redacted: as
// written in uri (whatever was percent-encoded, in whatever case), decoded,
// re-encoded the ways Go, Node.js and shells encode it (query, path,
// userinfo, every byte), each with upper- and lower-case hex. A redactor
// matches literal strings, so each spelling is listed.
func secrets(uri string, cs *connstring.ConnString) []string {
	if !cs.PasswordSet || cs.Password == "" {
		return nil
	}
	p := cs.Password
	forms := []string{p, url.QueryEscape(p), url.PathEscape(p), url.UserPassword("u", p).String()[2:], encodeAll(p)}
	if raw, ok := rawPassword(uri); ok {
		forms = append(forms, raw)
	}
	var out []string
	for _, f := range forms {
		out = append(out, f, upperHex(f), lowerHex(f))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// rawPassword is the password as written in uri: between the user's ':'
// and the last '@' before the hosts.
func rawPassword(uri string) (string, bool) {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 && strings.LastIndex(rest[:i], "@") < 0 {
		return "", false
	}
	at := strings.LastIndex(rest, "@")
	if slash := strings.IndexByte(rest[max(at, 0):], '/'); at < 0 || slash == 0 {
		return "", false
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	return pw, ok && pw != ""
}

func encodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

var pctHex = regexp.MustCompile(`%[0-9a-fA-F]{2}`)

func upperHex(s string) string { return pctHex.ReplaceAllStringFunc(s, strings.ToUpper) }
func lowerHex(s string) string { return pctHex.ReplaceAllStringFunc(s, strings.ToLower) }
