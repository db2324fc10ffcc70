"use strict";
// Add layout identifier: every layout gets a slug `identifier` from its name.
// Idempotent: only layouts without one. (Deleted from the repository in
// v2.0.0; databases that skipped it still need it, from its own release.)
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("add-layout-identifier: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

function slug(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "layout";
}

async function run() {
  const layouts = db.collection("layouts");
  const todo = await layouts.find({ identifier: { $exists: false } }).toArray();
  let changed = 0;
  for (const l of todo) {
    const res = await layouts.updateOne(
      { _id: l._id, identifier: { $exists: false } },
      { $set: { identifier: slug(l.name) } },
    );
    changed += res.modifiedCount;
  }
  console.log(`add-layout-identifier: identified ${changed} layout(s)`);
}

run()
  .catch((err) => {
    console.error("add-layout-identifier: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
