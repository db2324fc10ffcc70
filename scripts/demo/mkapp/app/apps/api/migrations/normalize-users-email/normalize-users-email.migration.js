"use strict";
// Organization Invite Fix: user emails are stored lower-cased, so that an
// invite to Alice@Example.com finds alice@example.com.
//
// It uses the application's own user model of its release (models/user-v1),
// which v0.23.0 replaced: it only works from a checkout of its own release.
// Idempotent: only emails that differ from their normalized form change.
const { MongoClient } = require("mongodb");
const { COLLECTION, normalizeEmail } = require("../../src/models/user-v1");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("normalize-users-email: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const users = db.collection(COLLECTION);
  const all = await users.find({ email: { $type: "string" } }, { projection: { email: 1 } }).toArray();
  let changed = 0;
  for (const u of all) {
    const email = normalizeEmail(u.email);
    if (email === u.email) continue;
    const res = await users.updateOne({ _id: u._id, email: u.email }, { $set: { email } });
    changed += res.modifiedCount;
  }
  console.log(`normalize-users-email: lower-cased ${changed} of ${all.length} user email(s)`);
}

run()
  .catch((err) => {
    console.error("normalize-users-email: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
