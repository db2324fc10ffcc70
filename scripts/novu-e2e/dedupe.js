"use strict";
// dedupe.js URI: what an operator does by hand when
// remove-duplicated-subscribers cannot run on their server (the development
// server does not implement $push in $group): the same merge, without the
// aggregation. For each (subscriberId, _environmentId) stored more than
// once, the newest record's fields win over older ones', the merged record
// keeps the oldest _id, the others are deleted.
const { MongoClient } = require("mongodb");

(async () => {
  const client = await MongoClient.connect(process.argv[2]);
  const subs = client.db().collection("subscribers");
  const groups = new Map();
  for await (const s of subs.find().sort({ updatedAt: 1 })) {
    const k = `${s.subscriberId}\u0000${s._environmentId}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(s);
  }
  let merged = 0;
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const keep = Object.assign({}, ...list, { _id: list[0]._id });
    await subs.replaceOne({ _id: keep._id }, keep);
    await subs.deleteMany({ _id: { $in: list.slice(1).map((s) => s._id) } });
    merged++;
  }
  console.log(`merged ${merged} duplicated subscriber(s)`);
  await client.close();
})().catch((e) => { console.error(e); process.exit(1); });
