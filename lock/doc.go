// Package lock is the lease lock that makes one relmig run at a time change
// a database: a lease document in the lock collection (relmig_lock), taken
// atomically, renewed by a heartbeat, taken over when its holder stops
// renewing (the dead run's running attempts then become interrupted in the
// history store), broken by hand with an audit event. A Lease is also the
// holder's fence: Valid (by its own clocks) and Verify (read back from the
// server) before every start. See Locker for the server guarantees it
// relies on.
package lock
