package history

import "time"

// Progress is how far a script said it got, from its last progress line
// (`relmig:progress DONE/TOTAL`). It is recorded once, with the attempt's
// outcome (also when the attempt is interrupted by a signal to relmig), never
// per line: a run killed with SIGKILL, whose attempt a later run records as
// interrupted, has none.
type Progress struct {
	Done int64 `bson:"done" json:"done"`
	// Total is 0 when the script gave none.
	Total int64 `bson:"total,omitempty" json:"total,omitempty"`
	// At is when relmig read the line.
	At time.Time `bson:"at" json:"at"`
}

// Percent is Done as a share of Total, at most 100; ok is false without a
// total.
func (p Progress) Percent() (pct float64, ok bool) {
	if p.Total <= 0 {
		return 0, false
	}
	return min(100, 100*float64(p.Done)/float64(p.Total)), true
}
