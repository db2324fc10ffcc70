package gitscan

import (
	"github.com/relmig/relmig/internal/gittest"

	"testing"
)

// gitRepo is the shared test repository builder.
type gitRepo = gittest.Repo

// baseDate is day 0 of every test repository's history.
var baseDate = gittest.BaseDate

func day(n int) string { return gittest.Day(n) }

func newGitRepo(t *testing.T) *gitRepo { return gittest.New(t) }

func runGit(t *testing.T, dir, date string, args ...string) string {
	t.Helper()
	return gittest.Run(t, dir, date, args...)
}

// scan runs Scan with default options on this repository, failing the
// test on error.
func scanOpts(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Scan(t.Context(), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}
