"use strict";
// Unit test of the ranking (node --test). Not a migration: the default
// exclude (*.spec.*) keeps it out of the release map.
const test = require("node:test");
const assert = require("node:assert");
const { rank } = require("./add-primary-priority-migration");

test("active integrations rank first, then the oldest", () => {
  const got = rank([
    { identifier: "c", active: false, createdAt: "2023-01-01" },
    { identifier: "b", active: true, createdAt: "2023-03-01" },
    { identifier: "a", active: true, createdAt: "2023-02-01" },
  ]);
  assert.deepStrictEqual(
    got.map((i) => i.identifier),
    ["a", "b", "c"],
  );
});
