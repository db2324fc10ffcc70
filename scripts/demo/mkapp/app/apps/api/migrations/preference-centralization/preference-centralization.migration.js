"use strict";
// Preference model centralization: legacy subscriberPreferences move into the
// `preferences` collection, then the legacy documents are deleted.
//
// It reads them through the legacy repository, which is gone after v2.0.1:
// it must run from a checkout of v2.0.1, while the application is below
// v2.1.0. NOT idempotent if interrupted: the insert and the delete are two
// steps, so a crash between them would leave both and a re-run would insert
// duplicates. A complete run leaves nothing to move.
const { MongoClient } = require("mongodb");
const legacy = require("../../src/repositories/subscriber-preference.repository");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("preference-centralization: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const old = db.collection(legacy.COLLECTION);
  const prefs = await old.find({}).toArray();
  if (prefs.length === 0) {
    console.log("preference-centralization: nothing to move");
    return;
  }
  const docs = prefs.map((p) => ({
    _environmentId: p._environmentId,
    _organizationId: p._organizationId,
    _subscriberId: p._subscriberId,
    _templateId: p._templateId || null,
    type: p._templateId ? "SUBSCRIBER_WORKFLOW" : "SUBSCRIBER_GLOBAL",
    preferences: { all: { enabled: p.enabled !== false }, channels: legacy.channelsOf(p) },
    createdAt: new Date(),
  }));
  const ins = await db.collection("preferences").insertMany(docs);
  const del = await old.deleteMany({ _id: { $in: prefs.map((p) => p._id) } });
  console.log(
    `preference-centralization: moved ${ins.insertedCount} preference(s) into preferences, ` +
      `deleted ${del.deletedCount} legacy document(s)`,
  );
}

run()
  .catch((err) => {
    console.error("preference-centralization: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
