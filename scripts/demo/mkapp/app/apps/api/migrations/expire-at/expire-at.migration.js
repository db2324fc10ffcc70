"use strict";
// Database TTL: every message gets an `expireAt` 30 days after it was
// created (the API creates the TTL index itself at start-up). Back-ported to
// the 0.24 line in v0.24.2 and cherry-picked onto main before v2.0.0.
// Idempotent: only messages without expireAt are touched.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("expire-at: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

const TTL_MS = 30 * 24 * 60 * 60 * 1000;

async function run() {
  const messages = db.collection("messages");
  const todo = await messages
    .find({ expireAt: { $exists: false } }, { projection: { createdAt: 1 } })
    .toArray();
  let changed = 0;
  for (const m of todo) {
    const created = m.createdAt instanceof Date ? m.createdAt : new Date();
    const res = await messages.updateOne(
      { _id: m._id, expireAt: { $exists: false } },
      { $set: { expireAt: new Date(created.getTime() + TTL_MS) } },
    );
    changed += res.modifiedCount;
  }
  console.log(`expire-at: set expireAt on ${changed} message(s)`);
}

run()
  .catch((err) => {
    console.error("expire-at: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
