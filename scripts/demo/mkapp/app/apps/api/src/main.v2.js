"use strict";
// Notify API (demo). Only here so that the migrations have application code
// to depend on, like a real application's repositories and models.
const { USERS, UserEntity } = require("./models/user");

module.exports = { usersCollection: USERS, UserEntity };

if (require.main === module) {
  console.log("notify api: users live in", USERS);
}
