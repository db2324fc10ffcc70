package gitscan

import "errors"

// Sentinel errors that callers branch on with errors.Is. Every error Scan and
// ExportTree return that is caused by one of these conditions wraps it.
var (
	// ErrNotRepository means Options.Repo names no git repository: neither a
	// work tree (or a folder inside one), nor a bare repository.
	ErrNotRepository = errors.New("not a git repository")

	// ErrIncompleteHistory means the repository is a shallow or partial clone,
	// or an object that history needs is missing. Release maps are derived
	// from full history, so the scan refuses rather than guess.
	ErrIncompleteHistory = errors.New("history is incomplete: fetch full history with tags")

	// ErrInvalidOptions means an option is malformed (a bad glob, a missing
	// cache folder, a folder path that leaves the repository).
	ErrInvalidOptions = errors.New("invalid options")

	// ErrRefNotFound means a branch or tag the caller named does not exist in
	// the repository.
	ErrRefNotFound = errors.New("reference not found")
)
