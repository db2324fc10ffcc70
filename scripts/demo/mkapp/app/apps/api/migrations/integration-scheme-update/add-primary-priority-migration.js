"use strict";
// Multi-Provider, step 2: integrations of one environment and channel get a
// `priority` (highest first) and, for email and sms, one `primary`. Ranking
// uses the identifiers step 1 writes, so this must run after
// add-integration-identifier-migration.js. Idempotent: integrations that
// already have a priority keep it.

const PRIMARY_CHANNELS = ["email", "sms"];

// rank orders the integrations of one environment and channel: active ones
// first, then the oldest, then by identifier.
function rank(list) {
  return [...list].sort(
    (a, b) =>
      Number(Boolean(b.active)) - Number(Boolean(a.active)) ||
      new Date(a.createdAt || 0) - new Date(b.createdAt || 0) ||
      String(a.identifier).localeCompare(String(b.identifier)),
  );
}

async function run(db) {
  const integrations = db.collection("integrations");
  const all = await integrations.find({}).toArray();
  const missing = all.filter((i) => !i.identifier);
  if (missing.length > 0) {
    throw new Error(
      `${missing.length} integration(s) have no identifier: run add-integration-identifier-migration.js first`,
    );
  }
  const groups = new Map();
  for (const i of all) {
    const key = `${i._environmentId}:${i.channel}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  }
  let changed = 0;
  let primaries = 0;
  for (const list of groups.values()) {
    const ranked = rank(list);
    for (const [n, i] of ranked.entries()) {
      const primary = PRIMARY_CHANNELS.includes(i.channel) && n === 0 && Boolean(i.active);
      const res = await integrations.updateOne(
        { _id: i._id, priority: { $exists: false } },
        { $set: { priority: ranked.length - n, primary } },
      );
      changed += res.modifiedCount;
      if (res.modifiedCount && primary) primaries++;
    }
  }
  console.log(`add-primary-priority: prioritized ${changed} integration(s), ${primaries} made primary`);
}

module.exports = { rank };

if (require.main === module) {
  const { MongoClient } = require("mongodb");
  const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
  if (!uri) {
    console.error("add-primary-priority: MONGO_URL is not set (the MongoDB connection string)");
    process.exit(2);
  }
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  // The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
  run(client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined))
    .catch((err) => {
      console.error("add-primary-priority: failed:", err.message || err);
      process.exitCode = 1;
    })
    .finally(() => client.close());
}
