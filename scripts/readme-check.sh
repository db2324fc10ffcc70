#!/bin/sh
# readme-check.sh: run every example command of README.md as written, and
# compare its output with the output the README shows.
#
# Every line that starts with "$ relmig" inside a ```console block is run, in
# order, from the folder of a freshly built demo application (the README's
# examples are the demo's), against a fresh database on the server in
# MONGODB_URI, with a stand-in Redis up so the demo's Redis requirement is met.
# Each must exit 0, print no "relmig:" error, and print (stdout and stderr
# together, as a terminal shows them) what the README shows under it, once
# run ids, times, durations, hashes, record ids and paths are normalised and
# runs of spaces count as one; a "..." line stands for any lines
# (scripts/readmecheck). Commands shown without output are only run. Run it
# under scripts/with-devdb.sh with bin/relmig built (make readme-check does
# both).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
: "${MONGODB_URI:?run me under scripts/with-devdb.sh}"
[ -x "$root/bin/relmig" ] || { echo "readme-check: bin/relmig is not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/relmig-readme.XXXXXX")
redis_pid=""
cleanup() {
	[ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go=${GO:-go}
(cd "$root" && "$go" build -o "$work/mkapp" ./scripts/demo/mkapp && "$go" build -o "$work/readmecheck" ./scripts/readmecheck)

# The commands, in README order, each with the output shown under it.
mkdir "$work/examples"
"$work/readmecheck" extract "$root/README.md" "$work/examples"
n=$(ls "$work/examples" | grep -c '\.cmd$' || true)
[ "$n" -ge 10 ] || { echo "readme-check: found only $n example commands in README.md" >&2; exit 1; }
"$work/mkapp" "$work/notify" >/dev/null
export NODE_PATH="$root/node_modules" PATH="$root/bin:$PATH"
export XDG_CACHE_HOME="$work/cache"
db="readme_$(date +%s)_$$"
export MONGODB_URI="${MONGODB_URI%/}/$db"
unset RELMIG_MAP
node "$root/scripts/demo/seed.js" "$MONGODB_URI" >/dev/null

node "$root/scripts/demo/fake-redis.js" >"$work/redis.port" &
redis_pid=$!
i=0
while [ ! -s "$work/redis.port" ]; do
	i=$((i + 1)); [ "$i" -lt 100 ] || { echo "readme-check: fake redis did not start" >&2; exit 1; }
	sleep 0.1
done
export REDIS_HOST=127.0.0.1 REDIS_PORT="$(head -n 1 "$work/redis.port")"

cd "$work/notify"
# The README's examples use the reviewed map that map build derives (with
# each release's parents), as the demo does; its own map build example then
# finds nothing new.
"$root/bin/relmig" map build --repo . --write >/dev/null 2>&1
failed=0
for c in "$work"/examples/*.cmd; do
	cmd=$(cat "$c")
	want=${c%.cmd}.want
	if sh -c "$cmd" >"$work/out" 2>&1 </dev/null; then
		if grep -q '^relmig: ' "$work/out"; then
			echo "FAIL (error printed): $cmd" >&2; sed 's/^/    /' "$work/out" >&2; failed=1
		elif [ ! -s "$want" ]; then
			echo "ok    $cmd (no output shown)"
		elif "$work/readmecheck" compare "$want" "$work/out" 2>"$work/diff"; then
			echo "ok    $cmd"
		else
			echo "FAIL (output): $cmd" >&2; sed 's/^/    /' "$work/diff" >&2; failed=1
		fi
	else
		echo "FAIL (exit $?): $cmd" >&2; sed 's/^/    /' "$work/out" >&2; failed=1
	fi
done
"$root/bin/relmig" --help >/dev/null
exit "$failed"
