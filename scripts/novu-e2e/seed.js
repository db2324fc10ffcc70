"use strict";
// seed.js URI: documents shaped like a Novu v0.22.0 database, as its
// collections and Mongoose models have them (organizations, environments,
// subscribers, topics, messages, message templates), with exactly the
// states the migrations after v0.22.0 change:
//   - plain-text API keys (encrypt-api-keys, v0.23.0);
//   - messages and message templates whose cta.action is "" (the two
//     normalize-*-cta-action scripts, v0.24.0);
//   - a topic link to a subscriber that was deleted (topic-subscriber-normalize);
//   - one subscriber stored twice (remove-duplicated-subscribers, v2.0.0).
// It drops and recreates these collections; relmig's own are untouched.
const { MongoClient, ObjectId } = require("mongodb");

(async () => {
  const client = await MongoClient.connect(process.argv[2]);
  const db = client.db();
  const names = ["organizations", "environments", "subscribers", "topics", "topicsubscribers", "messages", "messagetemplates"];
  for (const n of names) await db.collection(n).drop().catch(() => {});
  const org = new ObjectId(), env = new ObjectId(), user = new ObjectId();
  const now = new Date("2024-02-01T10:00:00Z");
  await db.collection("organizations").insertOne({ _id: org, name: "Acme", createdAt: now, updatedAt: now });
  await db.collection("environments").insertMany([
    { _id: env, name: "Development", _organizationId: org, identifier: "dev-id", apiKeys: [{ key: "2f1c0d4e5a6b7c8d9e0f1a2b3c4d5e6f", _userId: user }], createdAt: now, updatedAt: now },
    { _id: new ObjectId(), name: "Production", _organizationId: org, identifier: "prod-id", apiKeys: [{ key: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", _userId: user }], createdAt: now, updatedAt: now },
  ]);
  const sub = (subscriberId, updatedAt, extra) => ({ _id: new ObjectId(), subscriberId, _environmentId: env, _organizationId: org, channels: [], deleted: false, createdAt: now, updatedAt, ...extra });
  await db.collection("subscribers").insertMany([
    sub("alice", now, { email: "alice@example.com" }),
    sub("bob", new Date("2024-02-02T10:00:00Z"), { firstName: "Bob" }),
    sub("bob", new Date("2024-02-03T10:00:00Z"), { email: "bob@example.com" }),
  ]);
  const topic = new ObjectId();
  await db.collection("topics").insertOne({ _id: topic, key: "news", name: "News", _environmentId: env, _organizationId: org, createdAt: now, updatedAt: now });
  const link = (externalSubscriberId) => ({ _topicId: topic, topicKey: "news", externalSubscriberId, _subscriberId: new ObjectId(), _environmentId: env, _organizationId: org, createdAt: now, updatedAt: now });
  await db.collection("topicsubscribers").insertMany([link("alice"), link("ghost")]);
  const tmpl = (action) => ({ _id: new ObjectId(), type: "in_app", content: "Hi", cta: { type: "redirect", data: { url: "/x" }, action }, _environmentId: env, _organizationId: org, createdAt: now, updatedAt: now });
  await db.collection("messagetemplates").insertMany([tmpl(""), tmpl(""), tmpl({ buttons: [] })]);
  const msg = (action) => ({ _id: new ObjectId(), channel: "in_app", content: "Hi", seen: false, read: false, cta: { type: "redirect", data: { url: "/x" }, action }, _environmentId: env, _organizationId: org, _subscriberId: new ObjectId(), createdAt: now, updatedAt: now, expireAt: new Date("2025-01-01T00:00:00Z") });
  await db.collection("messages").insertMany([msg(""), msg(""), msg(""), msg({ buttons: [] })]);
  console.log("seeded: 2 environments with plain API keys, 3 subscribers (bob twice), 2 topic links (1 to a deleted subscriber), 2 templates and 3 messages with an empty cta.action");
  await client.close();
})().catch((e) => { console.error(e); process.exit(1); });
