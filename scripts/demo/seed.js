"use strict";
// seed.js [URI]: seeds the demo database as Notify v0.18.0 leaves it, for a
// database that was upgraded BY HAND up to v0.18.0 (every script of v0.17.2
// and v0.18.0 ran; nothing later did):
//
//   - changes have `enabled` (changes-migration ran) and every environment has
//     its in-app integration (in-app-integration ran);
//   - users' emails are as typed (normalize-users-email is in v0.21.0, even
//     if the hand-made table says v0.18.0), integrations have no identifier
//     or priority, layouts no identifier, API keys are plain text, topic links
//     are not normalized, messages have no expireAt, teams still embed
//     members[], two subscribers are duplicated, and preferences are in the
//     legacy subscriberPreferences collection.
//
// The URI comes from the argument or MONGODB_URI; the database is the URI's
// path (default "test"). Idempotent: it drops and recreates its collections
// (and those the migrations create); relmig's own collections are untouched.
const { MongoClient, ObjectId } = require("mongodb");

const uri = process.argv[2] || process.env.MONGODB_URI;
if (!uri) {
  console.error("usage: node seed.js MONGODB_URI (or set MONGODB_URI)");
  process.exit(2);
}

const COLLECTIONS = [
  "organizations", "environments", "users", "integrations", "changes", "layouts",
  "subscribers", "topics", "topic_subscribers", "messages", "teams",
  "team_membership_sources", "subscriberPreferences", "preferences", "logs",
];

// Fixed ids keep the seed the same on every run.
const oid = (n) => new ObjectId(n.toString(16).padStart(24, "0"));
const day = (s) => new Date(s + "T12:00:00Z");

async function main() {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  try {
    const db = client.db();
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const name of COLLECTIONS) {
      if (existing.has(name)) await db.collection(name).drop();
    }

    const [acme, globex] = [oid(0x100), oid(0x101)];
    const [acmeDev, acmeProd, globexProd] = [oid(0x200), oid(0x201), oid(0x202)];
    const envs = [
      { _id: acmeDev, org: acme, name: "Development" },
      { _id: acmeProd, org: acme, name: "Production" },
      { _id: globexProd, org: globex, name: "Production" },
    ];
    const docs = {
      organizations: [
        { _id: acme, name: "Acme Corp", createdAt: day("2023-03-01") },
        { _id: globex, name: "Globex", createdAt: day("2023-05-10") },
      ],
      environments: envs.map((e, i) => ({
        _id: e._id,
        _organizationId: e.org,
        name: e.name,
        apiKeys: [{ key: `sk_live_${(i + 1) * 1111}abcdef${i}`, _userId: oid(0x300 + i) }],
      })),
      users: [
        { _id: oid(0x300), email: "Alice.Admin@Acme.com", firstName: "Alice", super_admin: true },
        { _id: oid(0x301), email: "bob@acme.com", firstName: "Bob" },
        { _id: oid(0x302), email: "CAROL@GLOBEX.COM", firstName: "Carol" },
        { _id: oid(0x303), email: "dave@globex.com", firstName: "Dave" },
        { _id: oid(0x304), email: "  Erin@Globex.com", firstName: "Erin" },
        { _id: oid(0x305), email: "Frank@Acme.com", firstName: "Frank" },
      ],
      integrations: [],
      changes: [
        { _id: oid(0x500), _environmentId: acmeDev, type: "NotificationTemplate", enabled: false },
        { _id: oid(0x501), _environmentId: acmeDev, type: "Layout", enabled: true },
        { _id: oid(0x502), _environmentId: acmeProd, type: "NotificationTemplate", enabled: true },
      ],
      layouts: [
        { _id: oid(0x600), _environmentId: acmeDev, name: "Default Layout" },
        { _id: oid(0x601), _environmentId: acmeProd, name: "Marketing (2023)" },
        { _id: oid(0x602), _environmentId: globexProd, name: "Default Layout" },
      ],
      subscribers: [
        { _id: oid(0x700), _environmentId: acmeProd, subscriberId: "user-1", email: "u1@acme.com", createdAt: day("2023-04-01") },
        { _id: oid(0x701), _environmentId: acmeProd, subscriberId: "user-2", email: "u2@acme.com", createdAt: day("2023-04-02") },
        { _id: oid(0x702), _environmentId: acmeProd, subscriberId: "user-1", email: "u1@acme.com", createdAt: day("2023-06-11") },
        { _id: oid(0x703), _environmentId: globexProd, subscriberId: "user-1", email: "g1@globex.com", createdAt: day("2023-05-12") },
        { _id: oid(0x704), _environmentId: globexProd, subscriberId: "ops", email: "ops@globex.com", createdAt: day("2023-05-13") },
        { _id: oid(0x705), _environmentId: globexProd, subscriberId: "ops", email: "ops@globex.com", createdAt: day("2023-07-01") },
      ],
      topics: [
        { _id: oid(0x800), _environmentId: acmeProd, key: "beta-testers", name: "Beta testers" },
        { _id: oid(0x801), _environmentId: globexProd, key: "on-call", name: "On call" },
      ],
      topic_subscribers: [
        { _id: oid(0x900), _topicId: oid(0x800), _subscriberId: oid(0x700) },
        { _id: oid(0x901), _topicId: oid(0x800), _subscriberId: oid(0x701) },
        { _id: oid(0x902), _topicId: oid(0x801), _subscriberId: oid(0x704) },
        { _id: oid(0x903), _topicId: oid(0x801), _subscriberId: oid(0x705) },
      ],
      messages: [],
      teams: [
        {
          _id: oid(0xb00), slug: "platform", name: "Platform",
          members: [
            { email: "Alice.Admin@Acme.com", role: "admin" },
            { email: "bob@acme.com", role: "member" },
            { email: "FRANK@acme.com", role: "owner" },
          ],
        },
        {
          _id: oid(0xb01), slug: "support", name: "Support",
          members: [
            { email: "carol@globex.com", role: "admin" },
            { email: "Dave@Globex.com", role: "viewer" },
          ],
        },
        { _id: oid(0xb02), slug: "alumni", name: "Alumni", members: [] },
      ],
      // The runtime already dual-writes new memberships: this row exists.
      team_membership_sources: [
        {
          _id: oid(0xc00), team_slug: "platform", user_email: "bob@acme.com", source_type: "manual",
          role: "member", status: "active", created_at: day("2023-08-01"), created_by: "ui",
        },
      ],
      subscriberPreferences: [
        { _id: oid(0xd00), _environmentId: acmeProd, _organizationId: acme, _subscriberId: oid(0x700), enabled: true, channels: { email: true, sms: false } },
        { _id: oid(0xd01), _environmentId: acmeProd, _organizationId: acme, _subscriberId: oid(0x701), _templateId: oid(0xe00), enabled: false, channels: {} },
        { _id: oid(0xd02), _environmentId: globexProd, _organizationId: globex, _subscriberId: oid(0x703), enabled: true, channels: { in_app: true, push: false } },
        { _id: oid(0xd03), _environmentId: globexProd, _organizationId: globex, _subscriberId: oid(0x704), enabled: true, channels: { chat: true } },
      ],
      logs: [
        { _id: oid(0xf00), _environmentId: acmeProd, text: "job queued", createdAt: day("2023-08-01") },
        { _id: oid(0xf01), _environmentId: acmeProd, text: "job sent", createdAt: day("2023-08-01"), _deleted: true },
        { _id: oid(0xf02), _environmentId: globexProd, text: "job failed", createdAt: day("2023-08-02"), _deleted: true },
        { _id: oid(0xf03), _environmentId: globexProd, text: "job retried", createdAt: day("2023-08-02") },
      ],
    };

    // Integrations: providers without identifier/priority (v0.21.0 adds
    // them); the in-app one per environment is there (v0.18.0 added it).
    let n = 0;
    const integration = (envId, org, providerId, channel, active, created) => ({
      _id: oid(0x400 + n++), _environmentId: envId, _organizationId: org, providerId, channel, active,
      credentials: { apiKey: "demo" }, createdAt: day(created),
    });
    for (const e of envs) {
      docs.integrations.push(
        integration(e._id, e.org, "sendgrid", "email", true, "2023-03-02"),
        integration(e._id, e.org, "mailgun", "email", e.name !== "Production", "2023-03-05"),
        integration(e._id, e.org, "twilio", "sms", true, "2023-04-01"),
        integration(e._id, e.org, "novu", "in_app", true, "2023-08-14"),
      );
    }
    // Messages: no expireAt yet; two belong to duplicated subscribers.
    const subs = [0x700, 0x701, 0x702, 0x703, 0x704, 0x705];
    for (let i = 0; i < 10; i++) {
      const s = docs.subscribers.find((x) => x._id.equals(oid(subs[i % subs.length])));
      docs.messages.push({
        _id: oid(0xa00 + i), _environmentId: s._environmentId, _subscriberId: s._id,
        channel: i % 3 === 0 ? "email" : "in_app", content: `message ${i + 1}`, seen: i % 2 === 0,
        createdAt: day(`2023-08-${String(1 + i).padStart(2, "0")}`),
      });
    }

    const counts = [];
    for (const name of COLLECTIONS) {
      const list = docs[name] || [];
      if (list.length > 0) await db.collection(name).insertMany(list);
      if (list.length > 0) counts.push(`${name} ${list.length}`);
    }
    console.log(`seed: database "${db.databaseName}" as Notify v0.18.0 left it: ${counts.join(", ")}`);
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error("seed: failed:", err.message || err);
  process.exit(1);
});
