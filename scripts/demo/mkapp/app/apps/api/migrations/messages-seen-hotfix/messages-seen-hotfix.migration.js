"use strict";
// 0.24 maintenance line only: messages written by 0.24.0 and 0.24.1 without
// seen/read flags get explicit false. v2.0.0 reads missing flags as false, so
// main never needed it: an upgrade to v2.x does not run it.
// Idempotent: updateMany on the missing field.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("messages-seen-hotfix: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const messages = db.collection("messages");
  const seen = await messages.updateMany({ seen: { $exists: false } }, { $set: { seen: false } });
  const read = await messages.updateMany({ read: { $exists: false } }, { $set: { read: false } });
  console.log(`messages-seen-hotfix: seen set on ${seen.modifiedCount}, read set on ${read.modifiedCount} message(s)`);
}

run()
  .catch((err) => {
    console.error("messages-seen-hotfix: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
