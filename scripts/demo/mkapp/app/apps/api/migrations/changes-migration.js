"use strict";
// Change Promotion: every change gets an explicit `enabled` flag (false until
// promoted). Idempotent: only changes without the field are touched.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("changes-migration: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const res = await db
    .collection("changes")
    .updateMany({ enabled: { $exists: false } }, { $set: { enabled: false } });
  console.log(`changes-migration: set enabled=false on ${res.modifiedCount} change(s)`);
}

run()
  .catch((err) => {
    console.error("changes-migration: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
