#!/bin/sh
# bench.sh: every SPEC §7 benchmark in one run, each against a reference
# measured in the same run, with a table at the end; exits 1 when a bar is
# missed or a benchmark could not run. `make bench` runs it under
# scripts/with-devdb.sh (which sets MONGODB_URI) with bin/relmig, bin/devdb
# and node_modules built:
#
#   1. map build    scripts/bench/mapbuild.sh (as is): relmig map build on a
#                   generated repository of 20,000 commits, 300 tags, 200
#                   scripts, against the plain git pipeline;
#   2. status       relmig status -o json on 1,000 migrations and 20,000
#                   history records (seeded through the store's own Record);
#                   bar < 150 ms; relmig version and map show for context;
#   3. apply        200 migrations that do nothing, fresh database each:
#                   relmig's overhead per migration beyond the scripts' own
#                   run (bar < 5 ms), and relmig's total against
#                   migrate-mongo applying 200 empty migrations to the same
#                   server (bar <= 0.6x); node scripts (the headline) and
#                   /bin/true. Why both, and what is fair: see benchApply
#                   in scripts/bench/relbench/main.go;
#   4. exactly once 16 relmig up --apply --wait-lock processes at once over
#                   100 node scripts that each $inc a counter: every
#                   process exits 0, every counter is exactly 1;
#   5. faults       32 runners at a time (replaced as they exit) over 60
#                   scripts while the lock's holder is SIGKILLed (alone and
#                   with its script's group), SIGSTOPped past its lease and
#                   resumed, and the lock broken with unlock --force: no
#                   attempt or non-idempotent migration starts twice, no
#                   succeeded record for a script that did not finish.
#
# Environment: RUNS repeats the timed runs (default: map build 3, status
# 15, apply 2); BENCH_KEEP=1 keeps the scratch folder; GO names the go
# command. Takes about 3 minutes on two cores.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
: "${MONGODB_URI:?MONGODB_URI is not set: run me as scripts/with-devdb.sh scripts/bench/bench.sh (or make bench)}"
GO=${GO:-go}
for f in "$root/bin/relmig" "$root/node_modules/.bin/migrate-mongo" "$root/node_modules/mongodb/package.json"; do
	[ -e "$f" ] || { echo "bench: $f is missing (make build node_modules/.installed)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/relmig-bench.XXXXXX")
cleanup() {
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "bench: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$root"
$GO build -o "$work/relbench" ./scripts/bench/relbench
rows=$work/rows.tsv
: >"$rows"
start=$(date +%s)

# row BENCHMARK MEASUREMENT VALUE REFERENCE RATIO BAR RESULT
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"; }

# 1. map build: mapbuild.sh prints its own report and exits 1 when a bar is
# missed; its figures go into the table too.
echo "== map build (scripts/bench/mapbuild.sh)"
mb=0
RUNS=${RUNS:-3} scripts/bench/mapbuild.sh "$work/mapbuild" >"$work/mapbuild.out" 2>&1 || mb=$?
cat "$work/mapbuild.out"
git_ms=$(sed -n 's/^ *git pipeline.*: *\([0-9][0-9]*\) ms$/\1/p' "$work/mapbuild.out")
cold=$(sed -n 's/^ *relmig cold (fresh cache): *\([0-9][0-9]*\) ms.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$work/mapbuild.out")
warm=$(sed -n 's/^ *relmig warm (cached): *\([0-9][0-9]*\) ms.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$work/mapbuild.out")
if [ -n "$git_ms" ] && [ -n "$cold" ] && [ -n "$warm" ]; then
	set -- $cold $warm
	awk -v runs="${RUNS:-3}" -v git="$git_ms" -v c="$1" -v crss="$2" -v w="$3" -v wrss="$4" 'BEGIN {
		printf "map build\trelmig map build, cold cache (best of %d)\t%d ms\tgit pipeline %d ms\t%.2f\t<= 1.00\t%s\n", runs, c, git, c / git, (c <= git) ? "PASS" : "FAIL"
		printf "map build\t  relmig map build, warm cache\t%d ms\tgit pipeline %d ms\t%.2f\t<= 100 ms\t%s\n", w, git, w / git, (w <= 100) ? "PASS" : "FAIL"
		m = (crss > wrss) ? crss : wrss
		printf "map build\t  peak RSS (cold / warm)\t%.1f / %.1f MiB\t300 MiB (bar)\t%.2f\t< 300 MiB\t%s\n", crss, wrss, m / 300, (m < 300) ? "PASS" : "FAIL"
	}' >>"$rows"
	if [ "$mb" -ne 0 ] && ! grep -q 'FAIL: a bar is missed' "$work/mapbuild.out"; then
		row "map build" "mapbuild.sh exited $mb (see its output above)" "" "" "" "" FAIL
	fi
else
	row "map build" "mapbuild.sh exited $mb without its figures (see its output above)" "" "" "" "" FAIL
fi
mgit=$(sed -n 's/^ *monorepo git pipeline: *\([0-9][0-9]*\) ms *peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$work/mapbuild.out")
mcold=$(sed -n 's/^ *monorepo relmig cold: *\([0-9][0-9]*\) ms.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$work/mapbuild.out")
mwarm=$(sed -n 's/^ *monorepo relmig warm: *\([0-9][0-9]*\) ms.*/\1/p' "$work/mapbuild.out")
if [ -n "$mgit" ] && [ -n "$mcold" ] && [ -n "$mwarm" ]; then
	set -- $mgit $mcold $mwarm
	awk -v g="$1" -v grss="$2" -v c="$3" -v crss="$4" -v w="$5" 'BEGIN {
		printf "map build, monorepo shape\trelmig map build, cold cache\t%d ms\tgit pipeline %d ms\t%.2f\t<= 1.00\t%s\n", c, g, c / g, (c <= g) ? "PASS" : "FAIL"
		printf "map build, monorepo shape\t  relmig map build, warm cache\t%d ms\tgit pipeline %d ms\t%.2f\t\t\n", w, g, w / g
		printf "map build, monorepo shape\t  peak RSS, cold\t%.1f MiB\tgit log %.1f MiB\t%.2f\t<= 2.00\t%s\n", crss, grss, crss / grss, (crss <= 2 * grss) ? "PASS" : "FAIL"
	}' >>"$rows"
fi

# 2-4. The database benchmarks; an error (not a missed bar, which is a
# row) becomes a FAIL row and the next benchmark still runs.
for b in status apply once faults; do
	echo "== $b"
	t=$(date +%s)
	set -- -root "$root" -work "$work/$b" -rows "$rows"
	if [ -n "${RUNS:-}" ]; then set -- "$@" -runs "$RUNS"; fi
	if ! "$work/relbench" "$@" "$b"; then
		row "$b" "could not run (see the error above)" "" "" "" "" FAIL
	fi
	echo "   ($(($(date +%s) - t)) s)"
done

echo
echo "== results (MONGODB_URI server: bin/devdb, FerretDB v1.24 + SQLite; $(nproc 2>/dev/null || echo '?') CPUs; $(($(date +%s) - start)) s in all)"
"$work/relbench" table "$rows"
