"use strict";
// Subscriber record adjustments: an environment may hold one subscriber per
// subscriberId. Duplicates (same environment and subscriberId) are merged
// into the oldest record: topic links and messages are re-pointed, the
// duplicates deleted, and the subscriber cache entries evicted from Redis.
//
// Needs Redis: REDIS_HOST (and REDIS_PORT, default 6379) must point at the
// application's Redis, checked before the database is touched.
// Idempotent: without duplicates it changes nothing.
const net = require("net");
const { MongoClient } = require("mongodb");

const redisHost = process.env.REDIS_HOST;
const redisPort = Number(process.env.REDIS_PORT || 6379);
if (!redisHost) {
  console.error(
    "remove-duplicated-subscribers: REDIS_HOST is not set: this migration evicts the subscriber cache in Redis " +
      "(set REDIS_HOST and REDIS_PORT to the application's Redis)",
  );
  process.exit(2);
}
const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("remove-duplicated-subscribers: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

// redis sends commands (arrays of strings) and resolves with one reply line
// per command (PING and DEL answer with single-line replies).
function redis(commands) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: redisHost, port: redisPort });
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis ${redisHost}:${redisPort}: no answer within 5s`));
    }, 5000);
    sock.on("connect", () => {
      for (const args of commands) {
        sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(""));
      }
    });
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      const lines = buf.split("\r\n").slice(0, -1);
      if (lines.length >= commands.length) {
        clearTimeout(timer);
        sock.end();
        const errs = lines.filter((l) => l.startsWith("-"));
        if (errs.length) reject(new Error(`redis: ${errs[0].slice(1)}`));
        else resolve(lines.slice(0, commands.length));
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`redis ${redisHost}:${redisPort}: ${err.message}`));
    });
  });
}

async function run() {
  const [pong] = await redis([["PING"]]);
  if (pong !== "+PONG") throw new Error(`redis ${redisHost}:${redisPort}: unexpected answer to PING: ${pong}`);

  const subscribers = db.collection("subscribers");
  const all = await subscribers.find({}).toArray();
  const groups = new Map();
  for (const s of all) {
    const key = `${s._environmentId}:${s.subscriberId}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(s);
  }
  let removed = 0;
  let relinked = 0;
  const cacheKeys = [];
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => new Date(a.createdAt || 0) - new Date(b.createdAt || 0) || String(a._id).localeCompare(String(b._id)));
    const [keep, ...dups] = list;
    const dupIds = dups.map((d) => d._id);
    for (const coll of ["topic_subscribers", "messages"]) {
      const res = await db
        .collection(coll)
        .updateMany({ _subscriberId: { $in: dupIds } }, { $set: { _subscriberId: keep._id } });
      relinked += res.modifiedCount;
    }
    const res = await subscribers.deleteMany({ _id: { $in: dupIds } });
    removed += res.deletedCount;
    cacheKeys.push(`subscriber:${keep._environmentId}:${keep.subscriberId}`);
  }
  if (cacheKeys.length > 0) await redis([["DEL", ...cacheKeys]]);
  console.log(
    `remove-duplicated-subscribers: removed ${removed} duplicate(s) of ${all.length} subscriber(s), ` +
      `re-pointed ${relinked} link(s), evicted ${cacheKeys.length} cache key(s) at ${redisHost}:${redisPort}`,
  );
}

run()
  .catch((err) => {
    console.error("remove-duplicated-subscribers: failed:", err.message || err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
