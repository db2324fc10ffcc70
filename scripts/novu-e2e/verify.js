"use strict";
// verify.js URI STAGE: checks, with queries of its own, what each migration
// changed (never relmig's records). STAGE "before" checks the seed, "after"
// the upgrade up to the failed remove-duplicated-subscribers, "final" the
// database after the recovery. Prints one line per check; exits 1 on a miss.
const { MongoClient } = require("mongodb");

(async () => {
  const client = await MongoClient.connect(process.argv[2]);
  const db = client.db();
  const stage = process.argv[3];
  let failed = 0;
  const check = (what, got, want) => {
    const ok = JSON.stringify(got) === JSON.stringify(want);
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(got)}${ok ? "" : " (want " + JSON.stringify(want) + ")"}`);
  };
  const envs = await db.collection("environments").find().sort({ name: 1 }).toArray();
  const keys = envs.flatMap((e) => e.apiKeys.map((k) => k.key));
  const dupes = await db.collection("subscribers").find({ subscriberId: "bob" }).toArray();
  const links = (await db.collection("topicsubscribers").find().toArray()).map((l) => l.externalSubscriberId).sort();
  const emptyMsgs = await db.collection("messages").countDocuments({ "cta.action": "" });
  const emptyTmpls = await db.collection("messagetemplates").countDocuments({ "cta.action": "" });
  const objMsgs = await db.collection("messages").countDocuments({ "cta.action": {} });
  const objTmpls = await db.collection("messagetemplates").countDocuments({ "cta.action": {} });
  if (stage === "before") {
    check("plain API keys", keys.filter((k) => !k.startsWith("nvsk.")).length, 2);
    check("messages with cta.action \"\"", emptyMsgs, 3);
    check("templates with cta.action \"\"", emptyTmpls, 2);
    check("topic links", links, ["alice", "ghost"]);
    check("subscriber bob stored", dupes.length, 2);
  } else {
    check("encrypt-api-keys: keys encrypted (nvsk.…)", keys.map((k) => k.startsWith("nvsk.")), [true, true]);
    check("encrypt-api-keys: every key has its sha256 hash", envs.flatMap((e) => e.apiKeys.map((k) => /^[0-9a-f]{64}$/.test(k.hash || ""))), [true, true]);
    check("normalize-message-cta-action: messages with cta.action \"\" / {}", [emptyMsgs, objMsgs], [0, 3]);
    check("normalize-message-template-cta-action: templates with cta.action \"\" / {}", [emptyTmpls, objTmpls], [0, 2]);
    check("topic-subscriber-normalize: links left", links, ["alice"]);
    if (stage === "after") {
      check("remove-duplicated-subscribers failed: bob still stored", dupes.length, 2);
    } else {
      check("remove-duplicated-subscribers (by hand): bob stored once, with both records' fields", dupes.map((d) => [d.firstName, d.email]), [["Bob", "bob@example.com"]]);
    }
  }
  await client.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
