"use strict";
// User model, schema v2 (v0.23.0 on): emails are normalized on write, so the
// v1 helpers are gone.

const USERS = "users";

class UserEntity {
  constructor(doc) {
    this.id = String(doc._id);
    this.email = doc.email;
    this.firstName = doc.firstName || "";
  }
}

module.exports = { USERS, UserEntity };
