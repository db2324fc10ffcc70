#!/bin/sh
# with-devdb.sh CMD [ARGS...]: start the development MongoDB-protocol server
# (bin/devdb) on a free loopback port, export MONGODB_URI, run CMD, and stop the
# server afterwards, also when CMD fails or the script is interrupted.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
devdb="$root/bin/devdb"
[ -x "$devdb" ] || { echo "with-devdb: $devdb not built (run make bin/devdb)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/relmig-devdb.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$devdb" -data "$work/data" -urifile "$work/uri" >"$work/out.log" 2>&1 &
pid=$!

i=0
while [ ! -s "$work/uri" ]; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "with-devdb: server exited before it was ready:" >&2
		cat "$work/out.log" >&2
		exit 1
	fi
	i=$((i + 1))
	if [ "$i" -gt 600 ]; then
		echo "with-devdb: server not ready after 60s" >&2
		exit 1
	fi
	sleep 0.1
done

MONGODB_URI=$(cat "$work/uri")
export MONGODB_URI
echo "with-devdb: server at $MONGODB_URI" >&2

status=0
"$@" || status=$?
exit "$status"
