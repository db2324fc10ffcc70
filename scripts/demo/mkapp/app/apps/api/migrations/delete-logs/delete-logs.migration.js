"use strict";
// Cleanup deleted logs: execution logs soft-deleted by the API are removed.
// Not released yet. Idempotent: deleting what is already gone deletes nothing.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("delete-logs: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const res = await db.collection("logs").deleteMany({ _deleted: true });
  console.log(`delete-logs: deleted ${res.deletedCount} soft-deleted log(s)`);
}

run()
  .catch((err) => {
    console.error("delete-logs: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
