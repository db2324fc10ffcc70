#!/bin/sh
# mapbuild.sh [WORKDIR]: the SPEC §7 "map build" benchmark.
#
# Generates (once, with git fast-import) a repository of 20,000 commits, 300
# release tags and 200 scripts under apps/api/migrations, then times, best of
# RUNS (default 3) each:
#   (a) the plain git pipeline answering the same question:
#       git log --diff-filter=A over the folder + one git ls-tree per tag;
#   (b) gitscan.Scan cold (fresh cache) and warm (same cache, unchanged repo),
#       each in a fresh process, with peak RSS;
# and prints the ratios against the bars: cold/git <= 1.0, warm <= 0.1 s,
# peak RSS < 300 MiB. Exits 1 when a bar is missed.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-${TMPDIR:-/tmp}/relmig-bench}
runs=${RUNS:-3}
repo=$work/repo
dir=apps/api/migrations
mkdir -p "$work"
cd "$root"
go build -o "$work/genrepo" ./scripts/bench/genrepo
go build -o "$work/scanbench" ./scripts/bench/scanbench
if [ ! -d "$repo" ]; then
	start=$(date +%s%N)
	"$work/genrepo" -out "$repo"
	echo "generated in $(( ($(date +%s%N) - start) / 1000000 )) ms (fast-import + git gc)"
fi
# Warm the page cache so that every contender reads from memory.
cat "$repo"/.git/objects/pack/* "$repo"/.git/packed-refs >/dev/null 2>&1 || true

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

git_pipeline() {
	git -C "$repo" log --diff-filter=A --format='%H %cI' --name-only main --tags -- "$dir" >/dev/null
	for t in $(git -C "$repo" for-each-ref --format='%(refname:short)' 'refs/tags/v*'); do
		git -C "$repo" ls-tree -r "refs/tags/$t" -- "$dir" >/dev/null
	done
}

# scan CACHE: runs scanbench in a fresh process; prints "wall_ms rss_kib".
scan() {
	start=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$work/time.out" "$work/scanbench" -repo "$repo" -dir "$dir" -cache "$1" >"$work/scan.out"
		rss=$(tail -n 1 "$work/time.out")
	else
		"$work/scanbench" -repo "$repo" -dir "$dir" -cache "$1" >"$work/scan.out"
		rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$work/scan.out" | awk '{printf "%d", $1 * 1024}')
	fi
	echo "$(ms "$start") $rss"
}

best=""
i=0
while [ $i -lt "$runs" ]; do
	start=$(date +%s%N)
	git_pipeline
	t=$(ms "$start")
	if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	i=$((i + 1))
done
git_ms=$best

cold_ms="" cold_rss=0 warm_ms="" warm_rss=0
i=0
while [ $i -lt "$runs" ]; do
	rm -rf "$work/cache"
	set -- $(scan "$work/cache")
	if [ -z "$cold_ms" ] || [ "$1" -lt "$cold_ms" ]; then cold_ms=$1; fi
	if [ "$2" -gt "$cold_rss" ]; then cold_rss=$2; fi
	set -- $(scan "$work/cache")
	if [ -z "$warm_ms" ] || [ "$1" -lt "$warm_ms" ]; then warm_ms=$1; fi
	if [ "$2" -gt "$warm_rss" ]; then warm_rss=$2; fi
	i=$((i + 1))
done
summary=$(cat "$work/scan.out")

awk -v git="$git_ms" -v cold="$cold_ms" -v warm="$warm_ms" -v crss="$cold_rss" -v wrss="$warm_rss" -v s="$summary" 'BEGIN {
	ratio = cold / git
	printf "map build benchmark (best of runs; process wall time incl. start-up)\n"
	printf "  %s\n", s
	printf "  git pipeline (log --diff-filter=A + ls-tree per tag): %6d ms\n", git
	printf "  relmig cold (fresh cache):  %6d ms  ratio relmig/git %.2f  (bar <= 1.00)  peak RSS %.1f MiB\n", cold, ratio, crss / 1024
	printf "  relmig warm (cached):       %6d ms  ratio relmig/git %.2f  (bar <= 100 ms) peak RSS %.1f MiB\n", warm, warm / git, wrss / 1024
	fail = (ratio > 1.0) || (warm > 100) || (crss / 1024 >= 300) || (wrss / 1024 >= 300)
	printf "  %s\n", fail ? "FAIL: a bar is missed" : "PASS: all bars met"
	exit fail
}'
