#!/bin/sh
# demo.sh: relmig's walkthrough, run by `make demo` under scripts/with-devdb.sh
# (which exports MONGODB_URI) with bin/relmig built and the npm packages
# installed (node_modules: the mongodb driver the demo's scripts use).
#
# It builds the Notify demo application repository (scripts/demo/mkapp) in a
# temporary folder, seeds a database as if Notify had been upgraded by hand to
# v0.18.0 (seed.js), and upgrades it to v2.0.1 with relmig, printing each
# command before its output:
#
#   map build → map check → map show → between → baseline
#   → up (dry run: exit 3, REDIS_HOST) → up --apply (refused: REDIS_HOST)
#   → up --apply (with a stand-in Redis)
#   → status → history → up --apply again (nothing to do) → verify the data
#
# Every step has an expected exit code; any other ends the demo with exit 1.
# RELMIG_DEMO_KEEP=1 keeps the temporary folder (the app repository, logs).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
demo="$root/scripts/demo"
: "${MONGODB_URI:?MONGODB_URI is not set: run me as scripts/with-devdb.sh scripts/demo/demo.sh}"

[ -x "$root/bin/relmig" ] || { echo "demo: $root/bin/relmig is not built (make build)" >&2; exit 1; }
[ -d "$root/node_modules/mongodb" ] || { echo "demo: $root/node_modules/mongodb is missing (npm ci)" >&2; exit 1; }
PATH="$root/bin:$PATH"
# The demo's scripts resolve `mongodb` from relmig's own node_modules, so no
# release checkout needs an npm install.
NODE_PATH="$root/node_modules"
export PATH NODE_PATH
unset RELMIG_MAP REDIS_HOST REDIS_PORT

# The demo's database: "notify" on the given server, unless the URI names one.
uri=$MONGODB_URI
query=""
case $uri in *\?*) query="?${uri#*\?}"; uri=${uri%%\?*} ;; esac
scheme=${uri%%://*}
rest=${uri#*://}
case $rest in
*/?*) ;; # a database is named: keep it
*) uri="$scheme://${rest%/}/notify" ;;
esac
MONGODB_URI="$uri$query"
export MONGODB_URI

work=$(mktemp -d "${TMPDIR:-/tmp}/relmig-demo.XXXXXX")
app="$work/notify"
redis_pid=""
cleanup() {
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	if [ "${RELMIG_DEMO_KEEP:-}" = 1 ]; then
		echo "demo: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s)

# show prints a command the way one would type it.
show() {
	line='$'
	for a in "$@"; do
		case $a in
		'' | *[!A-Za-z0-9_./:=@,+%-]*) a="'$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'" ;;
		esac
		line="$line $a"
	done
	printf '\n%s\n' "$line"
}

# step EXPECTED CMD...: prints CMD, runs it, and stops the demo unless it
# exits with EXPECTED.
step() {
	expect=$1
	shift
	show "$@"
	rc=0
	"$@" || rc=$?
	if [ "$rc" -ne "$expect" ]; then
		printf '\ndemo: FAILED: exit code %s, expected %s: %s\n' "$rc" "$expect" "$*" >&2
		exit 1
	fi
	if [ "$expect" -ne 0 ]; then
		printf '(exit code %s, as expected)\n' "$rc"
	fi
}

# say prints a comment, one line per argument.
say() {
	printf '\n'
	for l in "$@"; do printf '# %s\n' "$l"; done
}

say "Build the demo application: Notify, whose MongoDB migrations are loose Node.js" \
	"scripts in apps/api/migrations/, released v0.17.2 … v2.0.1, with a 0.24 maintenance line."
(cd "$root" && ${GO:-go} build -o "$work/mkapp" ./scripts/demo/mkapp)
step 0 "$work/mkapp" "$app"
cd "$app"
step 0 git --no-pager log --graph --all --date=short --format='%h %ad %<(11,trunc)%an%d %s'

say "A database upgraded BY HAND up to v0.18.0, following a hand-made table."
step 0 node "$demo/seed.js" "$MONGODB_URI"

# relmig may cache release checkouts under the user's cache folder: keep them
# in the demo's folder. (Set after building mkapp: Go's build cache lives there
# too.)
XDG_CACHE_HOME="$work/cache"
export XDG_CACHE_HOME

say "Derive the release map from git and merge it into the hand-written one."
step 0 relmig map build --repo . --map releasemap.yaml --write
step 0 git --no-pager diff --stat
step 0 relmig map check
step 0 relmig map show

say "Which scripts does an upgrade from v0.18.0 to v2.0.1 need, in which order?"
step 0 relmig between v0.18.0 v2.0.1

say "Adopt the database: everything up to v0.18.0 was done by hand."
step 0 relmig baseline v0.18.0 --reason "upgraded by hand before relmig"

say "Plan the upgrade (a dry run is the default). A script needs Redis and REDIS_HOST"
say "is not set: the dry run says --apply would refuse, and exits 3 (a pipeline gates on it)."
step 3 relmig up --to v2.0.1

say "Apply it anyway: refused, nothing runs."
step 3 relmig up --to v2.0.1 --apply

say "Start a stand-in Redis and apply again."
node "$demo/fake-redis.js" >"$work/redis.port" 2>"$work/redis.log" &
redis_pid=$!
i=0
while [ ! -s "$work/redis.port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$redis_pid" 2>/dev/null; then
		echo "demo: the stand-in Redis did not start:" >&2
		cat "$work/redis.log" >&2
		exit 1
	fi
	sleep 0.1
done
REDIS_HOST=127.0.0.1
REDIS_PORT=$(cat "$work/redis.port")
export REDIS_HOST REDIS_PORT
show export REDIS_HOST="$REDIS_HOST" REDIS_PORT="$REDIS_PORT"
step 0 relmig up --to v2.0.1 --apply

say "Where the database stands, and the audit trail."
step 0 relmig status
step 0 relmig history

say "Each script runs at most once: applying again has nothing to do."
step 0 relmig up --to v2.0.1 --apply

say "The data is what Notify v2.0.1 expects."
step 0 node "$demo/verify.js" "$MONGODB_URI"

printf '\ndemo: done in %ss\n' "$(($(date +%s) - start))"
