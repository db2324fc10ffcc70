"use strict";
// Notify API (demo). Only here so that the migrations have application code
// to depend on, like a real application's repositories and models.
const { COLLECTION, normalizeEmail } = require("./models/user-v1");

module.exports = { usersCollection: COLLECTION, normalizeEmail };

if (require.main === module) {
  console.log("notify api: users live in", COLLECTION);
}
