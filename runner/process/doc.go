// Package process runs one migration command as a child process: it expands
// the command template, starts the command in its own process group, streams
// its combined output live (prefixed and with secrets redacted) to a writer, a
// log file and a bounded tail, and stops it on timeout, on a done marker or
// when the caller's context is cancelled.
//
// The package never reads the environment, never prints to the terminal and
// never exits: every input comes through [Spec] and [Vars], every outcome
// comes back as a [Result] and an error.
package process
