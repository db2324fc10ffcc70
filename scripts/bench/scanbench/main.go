// Command scanbench runs gitscan.Scan once and prints its wall time and the
// process's peak resident memory, for scripts/bench/mapbuild.sh.
//
//	scanbench -repo PATH -dir apps/api/migrations -cache DIR
//
// Output, one line: "scan <seconds> s, peak RSS <MiB> MiB, <result summary>".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/relmig/relmig/releasemap/gitscan"
)

func main() {
	repo := flag.String("repo", "", "repository path or URL")
	dir := flag.String("dir", "apps/api/migrations", "migrations folder")
	cache := flag.String("cache", "", "cache folder (fresh for a cold run)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	runs := flag.Int("runs", 1, "scans to run in this process (the first is cold on a fresh cache)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scanbench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "scanbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	for range max(1, *runs) {
		start := time.Now()
		res, err := gitscan.Scan(context.Background(), gitscan.Options{Repo: *repo, CacheDir: *cache, Dir: *dir, TagMatch: "v*", TagPrefix: "v"})
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scanbench:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		adds := 0
		for _, s := range res.Scripts {
			adds += len(s.Adds)
		}
		// ru_maxrss is in KiB on Linux.
		fmt.Printf("scan %.3f s, peak RSS %.1f MiB, %s, %d adds\n", elapsed.Seconds(), float64(ru.Maxrss)/1024, res, adds)
	}
}
