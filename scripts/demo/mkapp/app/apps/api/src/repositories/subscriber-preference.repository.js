"use strict";
// Legacy subscriber preferences (collection subscriberPreferences). Removed
// after v2.0.1: preference-centralization needs this file, so it must run
// from a checkout of v2.0.1 and before the application reaches v2.1.0.

const COLLECTION = "subscriberPreferences";

const CHANNELS = ["email", "sms", "in_app", "chat", "push"];

// channelsOf maps a legacy preference document to the centralized shape.
function channelsOf(pref) {
  const channels = {};
  for (const c of CHANNELS) {
    const v = pref.channels ? pref.channels[c] : undefined;
    channels[c] = { enabled: v === undefined ? true : Boolean(v) };
  }
  return channels;
}

module.exports = { COLLECTION, CHANNELS, channelsOf };
