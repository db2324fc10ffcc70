package cmdutil

import (
	"fmt"
	"strconv"

	"github.com/relmig/relmig/history"
)

// ProgressText shows how far a script got: "412000/1000000 (41%)", or the
// count alone without a total.
func ProgressText(p history.Progress) string {
	if pct, ok := p.Percent(); ok {
		return fmt.Sprintf("%d/%d (%d%%)", p.Done, p.Total, int(pct))
	}
	return strconv.FormatInt(p.Done, 10)
}

// ProgressCell is an attempt's progress in a table cell: to fit a
// terminal (short) the share ("41%") or the count without a total
// ("412k"), else ProgressText; "-" for none.
func ProgressCell(p *history.Progress, short bool) string {
	switch {
	case p == nil:
		return "-"
	case !short:
		return ProgressText(*p)
	}
	if pct, ok := p.Percent(); ok {
		return fmt.Sprintf("%d%%", int(pct))
	}
	return Compact(p.Done)
}

// Compact shows n in about four characters: 9999, 41.2k, 1.00M, 512M.
func Compact(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		div float64
		sfx string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}} {
		if f < u.div {
			continue
		}
		div := u.div
		if u.sfx == "k" {
			div = 1e3 // 10k and up are shown in thousands
		}
		v := f / div
		switch {
		case v >= 100:
			return strconv.FormatFloat(v, 'f', 0, 64) + u.sfx
		case v >= 10:
			return strconv.FormatFloat(v, 'f', 1, 64) + u.sfx
		}
		return strconv.FormatFloat(v, 'f', 2, 64) + u.sfx
	}
	return strconv.FormatInt(n, 10)
}
