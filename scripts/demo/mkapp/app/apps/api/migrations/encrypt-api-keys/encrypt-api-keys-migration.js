"use strict";
// API keys encryption: every environment API key is stored encrypted
// (AES-256-CBC with STORE_ENCRYPTION_KEY) next to a SHA-256 hash used for
// look-ups. Idempotent: keys that already have a hash are left alone.
//
// Like the application's scripts of that era, it boots a long-lived context
// (here: an open client and a keep-alive timer) and never exits on its own.
// It prints "migration done" when its work is finished; relmig's done_marker
// for it is ^migration done$.
const crypto = require("crypto");
const { MongoClient } = require("mongodb");

const uri = process.env.MONGO_URL || process.env.MONGODB_URI;
if (!uri) {
  console.error("encrypt-api-keys: MONGO_URL is not set (the MongoDB connection string)");
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
// The database is the URI's path unless RELMIG_DB or MONGO_DB names another.
const db = client.db(process.env.RELMIG_DB || process.env.MONGO_DB || undefined);

const secret = crypto
  .createHash("sha256")
  .update(process.env.STORE_ENCRYPTION_KEY || "notify-demo-store-encryption-key")
  .digest();

function encrypt(text) {
  const iv = crypto.randomBytes(16);
  const c = crypto.createCipheriv("aes-256-cbc", secret, iv);
  return "nvsk." + iv.toString("hex") + ":" + Buffer.concat([c.update(text, "utf8"), c.final()]).toString("hex");
}

async function run() {
  const environments = db.collection("environments");
  const all = await environments.find({}).toArray();
  let keys = 0;
  let envs = 0;
  for (const env of all) {
    const apiKeys = env.apiKeys || [];
    if (!apiKeys.some((k) => !k.hash)) continue;
    const next = apiKeys.map((k) => {
      if (k.hash) return k;
      keys++;
      return { ...k, key: encrypt(k.key), hash: crypto.createHash("sha256").update(k.key).digest("hex") };
    });
    await environments.updateOne({ _id: env._id }, { $set: { apiKeys: next } });
    envs++;
  }
  console.log(`encrypt-api-keys: encrypted ${keys} API key(s) in ${envs} environment(s)`);
  console.log("migration done");
}

run().catch((err) => {
  console.error("encrypt-api-keys: failed:", err);
  process.exit(1);
});

// The application context stays up: nothing closes the client or this timer.
setInterval(() => {}, 60 * 1000);
