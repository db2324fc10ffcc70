#!/bin/sh
# readme-check.sh: run every example command of README.md as written.
#
# Every line that starts with "$ relmig" inside a ```console block is run, in
# order, from the folder of a freshly built demo application (the README's
# examples are the demo's), against a fresh database on the server in
# MONGODB_URI, with a stand-in Redis up so the demo's Redis requirement is met.
# Each must exit 0 and print no "relmig:" error. Run it under
# scripts/with-devdb.sh with bin/relmig built (make readme-check does both).
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

# The commands, in README order.
awk '/^ *```console/ {c=1; next} /^ *```/ {c=0} c && /^ *\$ relmig/ {sub(/^ *\$ /, ""); print}' "$root/README.md" >"$work/commands"
n=$(wc -l <"$work/commands")
[ "$n" -ge 10 ] || { echo "readme-check: found only $n example commands in README.md" >&2; exit 1; }

go=${GO:-go}
(cd "$root" && "$go" build -o "$work/mkapp" ./scripts/demo/mkapp)
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
failed=0
while IFS= read -r cmd; do
	if sh -c "$cmd" >"$work/out" 2>"$work/err" </dev/null; then
		if grep -q '^relmig: ' "$work/err"; then
			echo "FAIL (error printed): $cmd" >&2; sed 's/^/    /' "$work/err" >&2; failed=1
		else
			echo "ok    $cmd"
		fi
	else
		echo "FAIL (exit $?): $cmd" >&2; sed 's/^/    /' "$work/err" >&2; failed=1
	fi
done <"$work/commands"
"$root/bin/relmig" --help >/dev/null
exit "$failed"
