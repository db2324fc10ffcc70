"use strict";
// verify.js [URI]: checks that the demo database is in the state an upgrade
// of the seeded data (seed.js) to Notify v2.0.1 leaves it, printing one line
// per check; exits 1 if any check fails. The URI comes from the argument or
// MONGODB_URI, the database from its path.
const { MongoClient } = require("mongodb");

const uri = process.argv[2] || process.env.MONGODB_URI;
if (!uri) {
  console.error("usage: node verify.js MONGODB_URI (or set MONGODB_URI)");
  process.exit(2);
}

async function main() {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  let failed = 0;
  const check = (what, ok, detail) => {
    console.log(`${ok ? "ok  " : "FAIL"}  ${what}${detail ? ` (${detail})` : ""}`);
    if (!ok) failed++;
  };
  try {
    const db = client.db();
    const c = (name) => db.collection(name);

    const users = await c("users").find({}).toArray();
    const upper = users.filter((u) => u.email !== u.email.trim().toLowerCase());
    check("user emails are lower-cased", upper.length === 0, `${users.length} users`);

    const integrations = await c("integrations").find({}).toArray();
    check(
      "integrations have identifier and priority",
      integrations.every((i) => i.identifier && typeof i.priority === "number"),
      `${integrations.length} integrations`,
    );
    const primaries = integrations.filter((i) => i.primary);
    check("one primary email and sms integration per environment", primaries.length === 6, `${primaries.length} primary`);
    check("layouts have identifiers", (await c("layouts").countDocuments({ identifier: { $exists: false } })) === 0);

    const envs = await c("environments").find({}).toArray();
    const keys = envs.flatMap((e) => e.apiKeys || []);
    check("API keys are encrypted", keys.every((k) => k.hash && k.key.startsWith("nvsk.")), `${keys.length} keys`);
    check(
      "topic links are normalized",
      (await c("topic_subscribers").countDocuments({ externalSubscriberId: { $exists: false } })) === 0,
    );
    check("messages have expireAt", (await c("messages").countDocuments({ expireAt: { $exists: false } })) === 0);

    check("no team embeds members[]", (await c("teams").countDocuments({ members: { $exists: true } })) === 0);
    const sources = await c("team_membership_sources").countDocuments({});
    check("team memberships are in team_membership_sources", sources === 5, `${sources} rows`);

    const subs = await c("subscribers").find({}).toArray();
    const keysSeen = new Set(subs.map((s) => `${s._environmentId}:${s.subscriberId}`));
    check("no duplicated subscribers", keysSeen.size === subs.length, `${subs.length} subscribers`);

    const legacy = await c("subscriberPreferences").countDocuments({});
    const prefs = await c("preferences").countDocuments({});
    check("preferences are centralized", legacy === 0 && prefs === 4, `${prefs} moved, ${legacy} legacy left`);

    const deleted = await c("logs").countDocuments({ _deleted: true });
    check("soft-deleted logs are still there (delete-logs is unreleased)", deleted === 2, `${deleted}`);
  } finally {
    await client.close();
  }
  if (failed > 0) {
    console.error(`verify: ${failed} check(s) failed`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error("verify: failed:", err.message || err);
  process.exit(1);
});
