// Package history records every attempt to run a migration in the target
// MongoDB database, and holds the lease lock that makes one run at a time
// change that database.
//
// The pieces:
//
//   - Attempt, Status, Outcome: one record per attempt, written as running
//     before the script starts (Store.Begin) and moved to its outcome exactly
//     once (Store.Finish); operator decisions are appended as terminal
//     records (Store.Record). History is append-only: nothing is deleted,
//     terminal records never change, and a running record changes once, to
//     its outcome or, when its run died, to interrupted.
//   - Store, the narrow interface the runner and the CLI use, with its
//     MongoDB implementation MongoStore and the conformance suite in
//     package historytest.
//   - Locker and Lease: the lease lock, its heartbeat, takeover of a dead
//     holder's expired lease (whose running attempts become interrupted),
//     and Break for `relmig unlock --force`, audited as LockEvents.
//
// The package never prints, exits or reads the environment; callers pass
// who they are (CurrentActor, NewRunID build that from the process).
//
// Server assumptions. The code targets MongoDB 5.0–8.0 and is tested on
// FerretDB v1.24 with SQLite, which has no transactions, TTL or partial
// indexes; none is used. Where correctness rests on a server guarantee the
// comment says so: insert with an existing _id fails with a duplicate-key
// error (both servers), and findAndModify is atomic per document (MongoDB;
// FerretDB reads then writes, see Locker).
package history
