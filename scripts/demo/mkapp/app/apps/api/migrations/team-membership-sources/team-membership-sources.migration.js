"use strict";
// Canonical team membership: the legacy teams.members[] array moves into its
// own collection, team_membership_sources, one row per (team_slug,
// lower(user_email), source_type "manual"); then `members` is $unset.
//
// Strictly idempotent: rows that already exist (the runtime dual-writes them)
// are left alone, and $unset of a missing field is a no-op, so a second run
// changes nothing. Post-condition: no team document has a `members` field.
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("team-membership-sources: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

const ROLES = new Set(["admin", "member", "viewer"]);

async function run() {
  const teams = db.collection("teams");
  const sources = db.collection("team_membership_sources");
  const all = await teams.find({}).toArray();
  const summary = { teamsScanned: all.length, teamsWithLegacyMembers: 0, backfilled: 0, alreadyPresent: 0, unsetTeams: 0 };
  const skipped = [];
  const warnings = [];
  for (const team of all) {
    if (!Object.prototype.hasOwnProperty.call(team, "members")) continue;
    if (!team.slug) {
      skipped.push(String(team._id));
      continue;
    }
    const members = Array.isArray(team.members) ? team.members : [];
    if (members.length > 0) summary.teamsWithLegacyMembers++;
    for (const m of members) {
      const email = typeof m.email === "string" ? m.email.trim().toLowerCase() : "";
      if (!email) {
        warnings.push(`${team.slug}: member without email skipped`);
        continue;
      }
      const role = ROLES.has(m.role) ? m.role : "member";
      const res = await sources.updateOne(
        { team_slug: team.slug, user_email: email, source_type: "manual" },
        {
          $setOnInsert: {
            role,
            status: "active",
            created_at: new Date(),
            created_by: "migration:canonical_team_membership_v1",
          },
        },
        { upsert: true },
      );
      if (res.upsertedCount) summary.backfilled++;
      else summary.alreadyPresent++;
    }
    const res = await teams.updateOne({ _id: team._id, members: { $exists: true } }, { $unset: { members: "" } });
    summary.unsetTeams += res.modifiedCount;
  }
  console.log(JSON.stringify({ migration: "canonical_team_membership_v1", summary, skipped, warnings }));
  if (skipped.length > 0) {
    console.error(`team-membership-sources: ${skipped.length} team(s) have no slug; fix the slug and re-run`);
    process.exitCode = 1;
  }
}

run()
  .catch((err) => {
    console.error("team-membership-sources: failed:", err);
    process.exitCode = 1;
  })
  .finally(() => client.close());
