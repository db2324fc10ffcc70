"use strict";
// In-App Integration: every environment gets the built-in in-app provider
// as an integration. Idempotent: an upsert per environment.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("in-app-integration: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const envs = await db.collection("environments").find({}).toArray();
  const integrations = db.collection("integrations");
  let created = 0;
  for (const env of envs) {
    const res = await integrations.updateOne(
      { _environmentId: env._id, channel: "in_app", providerId: "novu" },
      {
        $setOnInsert: {
          _organizationId: env._organizationId,
          active: true,
          createdAt: new Date(),
        },
      },
      { upsert: true },
    );
    created += res.upsertedCount;
  }
  console.log(`in-app-integration: ${created} in-app integration(s) created for ${envs.length} environment(s)`);
}

run()
  .catch((err) => {
    console.error("in-app-integration: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
