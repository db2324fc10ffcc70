"use strict";
// Multi-Provider, step 1: every integration gets a stable `identifier` and a
// `name`. Idempotent: only integrations without an identifier are touched.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("add-integration-identifier: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const integrations = db.collection("integrations");
  const todo = await integrations.find({ identifier: { $exists: false } }).toArray();
  let changed = 0;
  for (const i of todo) {
    const identifier = `${i.providerId}-${i._id.toHexString().slice(-6)}`;
    const name = i.name || i.providerId.charAt(0).toUpperCase() + i.providerId.slice(1);
    const res = await integrations.updateOne(
      { _id: i._id, identifier: { $exists: false } },
      { $set: { identifier, name } },
    );
    changed += res.modifiedCount;
  }
  console.log(`add-integration-identifier: identified ${changed} integration(s)`);
}

run()
  .catch((err) => {
    console.error("add-integration-identifier: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
