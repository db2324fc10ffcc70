"use strict";
// User model, schema v1. Emails were stored as the user typed them until
// v0.21.0, which is why normalize-users-email exists. Replaced by ./user.js in
// v0.23.0: this file only exists at releases up to v0.21.0.

const COLLECTION = "users";

function normalizeEmail(email) {
  return String(email).trim().toLowerCase();
}

module.exports = { COLLECTION, normalizeEmail };
