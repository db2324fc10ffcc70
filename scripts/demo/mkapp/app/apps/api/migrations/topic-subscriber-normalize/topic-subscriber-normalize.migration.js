"use strict";
// Normalize topic-subscriber links: every link carries the subscriber's
// external id and the topic key, so topics can be read without joins.
// Idempotent: only links without externalSubscriberId are touched.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("topic-subscriber-normalize: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

async function run() {
  const links = db.collection("topic_subscribers");
  const todo = await links.find({ externalSubscriberId: { $exists: false } }).toArray();
  const subscribers = await db
    .collection("subscribers")
    .find({ _id: { $in: todo.map((l) => l._subscriberId) } })
    .toArray();
  const topics = await db
    .collection("topics")
    .find({ _id: { $in: todo.map((l) => l._topicId) } })
    .toArray();
  const subById = new Map(subscribers.map((s) => [String(s._id), s]));
  const topicById = new Map(topics.map((t) => [String(t._id), t]));
  let changed = 0;
  let orphans = 0;
  for (const l of todo) {
    const s = subById.get(String(l._subscriberId));
    const t = topicById.get(String(l._topicId));
    if (!s || !t) {
      orphans++;
      continue;
    }
    const res = await links.updateOne(
      { _id: l._id, externalSubscriberId: { $exists: false } },
      { $set: { externalSubscriberId: s.subscriberId, topicKey: t.key } },
    );
    changed += res.modifiedCount;
  }
  console.log(`topic-subscriber-normalize: normalized ${changed} topic link(s), ${orphans} orphan(s) left alone`);
}

run()
  .catch((err) => {
    console.error("topic-subscriber-normalize: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
