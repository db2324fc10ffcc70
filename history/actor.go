package history

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/user"
	"strconv"
	"time"
)

// CurrentActor describes the running process for the By field of records
// and the owner of a lease: the operating-system user (or "uid:N" when the
// user database has no name for it), the host name and the process id.
// version is relmig's version. The CLI calls it; the library takes the
// result as input and never asks the system itself.
func CurrentActor(version string) Actor {
	a := Actor{PID: os.Getpid(), Version: version}
	if u, err := user.Current(); err == nil && u.Username != "" {
		a.User = u.Username
	} else {
		a.User = "uid:" + strconv.Itoa(os.Getuid())
	}
	if h, err := os.Hostname(); err == nil {
		a.Host = h
	}
	return a
}

// NewRunID returns a fresh run id: the UTC start time (so ids sort and read
// as when) and 8 random bytes (so two runs started in the same second on
// different replicas never share one).
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
