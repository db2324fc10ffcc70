package releasemap

import (
	"regexp"
	"strings"
)

// Orders inside a release (the map's `order` key).
const (
	// OrderName runs a release's migrations in the natural order of their
	// ids (numbers compared as numbers): file names that carry a timestamp
	// or a number, as knex, db-migrate, TypeORM and diesel name them.
	OrderName = "name"
	// OrderAdded keeps the map's own order, in which map build appends new
	// migrations by the date of the commit that added them.
	OrderAdded = "added"
)

// orderedName is a file name that carries an order: a number or a
// timestamp before a separator, or a long number.
var orderedName = regexp.MustCompile(`^(?:[Vv]?\d+[-_.]|\d{8,})`)

// CarriesOrder reports whether a migration id's first path segment starts
// with a number or timestamp.
func CarriesOrder(id string) bool {
	first, _, _ := strings.Cut(id, "/")
	return orderedName.MatchString(first)
}

// DetectOrder returns OrderName when at least nine in ten of the ids (and
// at least two) carry an order in their names, else OrderAdded.
func DetectOrder(ids []string) string {
	n := 0
	for _, id := range ids {
		if CarriesOrder(id) {
			n++
		}
	}
	if n >= 2 && n*10 >= len(ids)*9 {
		return OrderName
	}
	return OrderAdded
}

// CompareNames orders ids naturally: runs of digits compare as numbers
// ("2_b" before "10_a"), everything else byte by byte; equal numbers with
// different zero padding fall back to the plain comparison.
func CompareNames(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x := strings.TrimLeft(a[si:i], "0")
			y := strings.TrimLeft(b[sj:j], "0")
			if len(x) != len(y) {
				if len(x) < len(y) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			if a[i] < b[j] {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
