// Package wildmatch matches names against glob patterns the way `git tag -l`
// and `git for-each-ref` do (git's wildmatch without WM_PATHNAME): `*`
// matches any run of characters, `/` included; `?` one character; `[...]`
// a set (`[!...]` or `[^...]` its complement, `a-z` ranges); a backslash
// quotes the next character. Braces have no meaning.
package wildmatch

import (
	"errors"
	"unicode/utf8"
)

// ErrBadPattern is returned by Validate for a pattern with an unclosed set
// or a trailing backslash; such a pattern matches nothing.
var ErrBadPattern = errors.New("unclosed [ or trailing backslash")

// Validate reports whether pattern is well formed.
func Validate(pattern string) error {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 == len(pattern) {
				return ErrBadPattern
			}
			i++
		case '[':
			end, ok := setEnd(pattern, i)
			if !ok {
				return ErrBadPattern
			}
			i = end
		}
	}
	return nil
}

// Match reports whether name matches pattern. A malformed pattern matches
// nothing.
func Match(pattern, name string) bool {
	if Validate(pattern) != nil {
		return false
	}
	return match(pattern, name)
}

// match is an iterative matcher with one backtrack point per `*`, which
// bounds it to O(len(pattern) × len(name)).
func match(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				starP, starS = pi, si
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			case '[':
				end, _ := setEnd(p, pi)
				r, n := utf8.DecodeRuneInString(s[si:])
				if inSet(p[pi+1:end], r) {
					pi = end + 1
					si += n
					continue
				}
			case '\\':
				_, n := utf8.DecodeRuneInString(p[pi+1:])
				_, m := utf8.DecodeRuneInString(s[si:])
				if p[pi+1:pi+1+n] == s[si:si+m] {
					pi += 1 + n
					si += m
					continue
				}
			default:
				_, n := utf8.DecodeRuneInString(p[pi:])
				_, m := utf8.DecodeRuneInString(s[si:])
				if p[pi:pi+n] == s[si:si+m] {
					pi += n
					si += m
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// setEnd returns the index of the `]` closing the set that starts at
// p[start] == '['. A `]` right after `[`, `[!` or `[^` is a member.
func setEnd(p string, start int) (int, bool) {
	i := start + 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		i++
	}
	if i < len(p) && p[i] == ']' {
		i++
	}
	for ; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case ']':
			return i, true
		}
	}
	return 0, false
}

// inSet reports whether r is in the set body (between the brackets).
func inSet(body string, r rune) bool {
	negate := false
	if body != "" && (body[0] == '!' || body[0] == '^') {
		negate, body = true, body[1:]
	}
	found := false
	first := true
	for body != "" {
		lo, n := nextRune(body)
		if !first && lo == ']' && n == 1 {
			break
		}
		first = false
		body = body[n:]
		hi := lo
		if len(body) >= 2 && body[0] == '-' && body[1] != ']' {
			var m int
			hi, m = nextRune(body[1:])
			body = body[1+m:]
		}
		if lo <= r && r <= hi {
			found = true
		}
	}
	return found != negate
}

// nextRune decodes one possibly backslash-quoted rune.
func nextRune(s string) (rune, int) {
	if s[0] == '\\' && len(s) > 1 {
		r, n := utf8.DecodeRuneInString(s[1:])
		return r, 1 + n
	}
	r, n := utf8.DecodeRuneInString(s)
	return r, n
}
