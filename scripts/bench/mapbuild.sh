#!/bin/sh
# mapbuild.sh [WORKDIR]: the SPEC §7 "map build" benchmark.
#
# Generates (once, with git fast-import) a repository of 20,000 commits, 300
# release tags and 200 scripts under apps/api/migrations, then times, best of
# RUNS (default 3) each:
#   (a) the plain git pipeline answering the same question:
#       git log --diff-filter=A over the folder + one git ls-tree per tag;
#   (b) bin/relmig map build --repo REPO --dir apps/api/migrations --output json,
#       cold (a fresh --cache-dir) and warm (the same cache, unchanged repo),
#       each a fresh process, with its peak RSS (GNU time -v when present,
#       else the rusage wrapper next to this script);
# and prints the ratios against the bars: cold/git <= 1.0, warm <= 0.1 s,
# peak RSS < 300 MiB. Then the same for a repository shaped like a real
# monorepo (genrepo -shape monorepo: 30,000 commits, 6,000 files, a folder
# seven levels deep, 3,000 extra refs, no commit-graph, long delta chains):
# cold/git <= 1.0 and peak RSS <= 2x that of the git pipeline's largest
# process. Exits 1 when a bar is missed. MONOREPO=0 skips the second shape.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-${TMPDIR:-/tmp}/relmig-bench}
runs=${RUNS:-3}
repo=$work/repo
dir=apps/api/migrations
mono=$work/monorepo
monodir=apps/platform/services/api/src/database/migrations
relmig=$root/bin/relmig
mkdir -p "$work" "$work/cwd"
cd "$root"
${GO:-go} build -o "$relmig" ./cmd/relmig
${GO:-go} build -o "$work/genrepo" ./scripts/bench/genrepo
if [ ! -d "$repo" ]; then
	start=$(date +%s%N)
	"$work/genrepo" -out "$repo"
	echo "generated in $(( ($(date +%s%N) - start) / 1000000 )) ms (fast-import + git gc)"
fi
if [ "${MONOREPO:-1}" != 0 ] && [ ! -d "$mono" ]; then
	start=$(date +%s%N)
	"$work/genrepo" -out "$mono" -shape monorepo
	echo "generated in $(( ($(date +%s%N) - start) / 1000000 )) ms (fast-import + git gc + repack --depth=100)"
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

# measure CMD...: runs CMD in a fresh process; prints "wall_ms rss_kib".
measure() {
	if [ -n "$gnu_time" ]; then
		start=$(date +%s%N)
		"$gnu_time" -f %M -o "$work/time.out" "$@" >/dev/null 2>&1
		echo "$(ms "$start") $(tail -n 1 "$work/time.out")"
	else
		"$work/rusage" -o "$work/time.out" -- "$@" >/dev/null 2>&1
		cat "$work/time.out"
	fi
}

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	gnu_time=/usr/bin/time
else
	${GO:-go} build -o "$work/rusage" ./scripts/bench/rusage
fi

# build CACHE: runs map build in a fresh process from a folder without a
# map (so it builds a new one); prints "wall_ms rss_kib".
build() {
	set -- "$relmig" map build --repo "$repo" --dir "$dir" --output json --cache-dir "$1"
	if [ -n "$gnu_time" ]; then
		start=$(date +%s%N)
		(cd "$work/cwd" && "$gnu_time" -v -o "$work/time.out" "$@" >"$work/build.json" 2>"$work/build.err") ||
			{ cat "$work/build.err" >&2; exit 1; }
		wall=$(ms "$start")
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time.out")
		echo "$wall $rss"
	else
		(cd "$work/cwd" && "$work/rusage" -o "$work/time.out" -- "$@" >"$work/build.json" 2>"$work/build.err") ||
			{ cat "$work/build.err" >&2; exit 1; }
		cat "$work/time.out"
	fi
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
	set -- $(build "$work/cache")
	if [ -z "$cold_ms" ] || [ "$1" -lt "$cold_ms" ]; then cold_ms=$1; fi
	if [ "$2" -gt "$cold_rss" ]; then cold_rss=$2; fi
	set -- $(build "$work/cache")
	if [ -z "$warm_ms" ] || [ "$1" -lt "$warm_ms" ]; then warm_ms=$1; fi
	if [ "$2" -gt "$warm_rss" ]; then warm_rss=$2; fi
	i=$((i + 1))
done
if [ "${MONOREPO:-1}" != 0 ]; then
	cat "$mono"/.git/objects/pack/* "$mono"/.git/packed-refs >/dev/null 2>&1 || true
	mgit="" mgit_rss=0 mcold="" mcold_rss=0 mwarm=""
	i=0
	while [ $i -lt "$runs" ]; do
		start=$(date +%s%N)
		repo=$mono dir=$monodir git_pipeline
		t=$(ms "$start")
		if [ -z "$mgit" ] || [ "$t" -lt "$mgit" ]; then mgit=$t; fi
		set -- $(measure git -C "$mono" log --diff-filter=A --format='%H %cI' --name-only main --tags -- "$monodir")
		if [ "$2" -gt "$mgit_rss" ]; then mgit_rss=$2; fi
		rm -rf "$work/monocache"
		set -- $(measure "$relmig" map build --repo "$mono" --dir "$monodir" --output json --cache-dir "$work/monocache")
		if [ -z "$mcold" ] || [ "$1" -lt "$mcold" ]; then mcold=$1; fi
		if [ "$2" -gt "$mcold_rss" ]; then mcold_rss=$2; fi
		set -- $(measure "$relmig" map build --repo "$mono" --dir "$monodir" --output json --cache-dir "$work/monocache")
		if [ -z "$mwarm" ] || [ "$1" -lt "$mwarm" ]; then mwarm=$1; fi
		i=$((i + 1))
	done
	awk -v git="$mgit" -v cold="$mcold" -v warm="$mwarm" -v grss="$mgit_rss" -v crss="$mcold_rss" 'BEGIN {
		printf "map build on a monorepo shape (30,000 commits, 6,000 files, deep folder, 3,000 refs, no commit-graph)\n"
		printf "  monorepo git pipeline:      %6d ms  peak RSS %.1f MiB (git log)\n", git, grss / 1024
		printf "  monorepo relmig cold:       %6d ms  ratio relmig/git %.2f  (bar <= 1.00)  peak RSS %.1f MiB = %.2fx git (bar <= 2.00)\n", cold, cold / git, crss / 1024, crss / grss
		printf "  monorepo relmig warm:       %6d ms  ratio relmig/git %.2f\n", warm, warm / git
	}'
	mono_fail=$(awk -v git="$mgit" -v cold="$mcold" -v grss="$mgit_rss" -v crss="$mcold_rss" 'BEGIN { print ((cold / git > 1.0) || (crss / grss > 2.0)) ? 1 : 0 }')
else
	mono_fail=0
fi
summary=$(head -n 1 "$work/build.err")
bytes=$(wc -c <"$work/build.json")

awk -v git="$git_ms" -v cold="$cold_ms" -v warm="$warm_ms" -v crss="$cold_rss" -v wrss="$warm_rss" -v s="$summary" -v b="$bytes" -v mono="$mono_fail" 'BEGIN {
	ratio = cold / git
	printf "map build benchmark (best of runs; process wall time incl. start-up)\n"
	printf "  relmig map build --output json: %s (%d bytes of JSON)\n", s, b
	printf "  git pipeline (log --diff-filter=A + ls-tree per tag): %6d ms\n", git
	printf "  relmig cold (fresh cache):  %6d ms  ratio relmig/git %.2f  (bar <= 1.00)  peak RSS %.1f MiB\n", cold, ratio, crss / 1024
	printf "  relmig warm (cached):       %6d ms  ratio relmig/git %.2f  (bar <= 100 ms) peak RSS %.1f MiB\n", warm, warm / git, wrss / 1024
	fail = (ratio > 1.0) || (warm > 100) || (crss / 1024 >= 300) || (wrss / 1024 >= 300) || mono
	printf "  %s\n", fail ? "FAIL: a bar is missed" : "PASS: all bars met (cold <= git, warm <= 100 ms, peak RSS < 300 MiB)"
	exit fail
}'
