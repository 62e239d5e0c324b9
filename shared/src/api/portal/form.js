// The endpoint editor's values to an API body: pure functions (no DOM), tested on their own
// (tests/portal/form_test.html). A problem names the field, as the API's errors do.
"use strict";

export class FieldError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

// "Name: value" per line; blank lines are skipped.
export function headerLines(text) {
  const headers = {};
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf(":");
    if (at <= 0) throw new FieldError("headers", `line ${i + 1} is not "Name: value"`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

function receiverAuth(a) {
  switch (a.type) {
    case "bearer": return { type: "bearer", token: a.token };
    case "basic": return { type: "basic", username: a.username, password: a.password };
    case "header": return { type: "header", name: a.name, value: a.value };
    default: throw new FieldError("auth", `unknown kind ${a.type}`);
  }
}

// `v`: the editor's values as strings (events as a list, auth as {type, ...}). On create an
// empty field is left out (its default applies); on edit an empty field clears what it sets,
// except the write-only ones (headers, auth), which an empty field keeps.
export function webhookBody(v, editing) {
  const body = { url: v.url.trim(), events: v.events, ordering: v.ordering || "none" };
  if (!body.url) throw new FieldError("url", "required");
  const description = v.description.trim();
  if (description || editing) body.description = description || null;
  if (v.headers.trim()) body.headers = headerLines(v.headers);
  if (v.auth.type === "none") {
    if (editing) body.auth = null;
  } else if (v.auth.type !== "keep") {
    body.auth = receiverAuth(v.auth);
  }
  const rate = v.rate_limit.trim();
  if (rate) {
    if (!/^\d+$/.test(rate)) throw new FieldError("rate_limit", "a whole number of deliveries a second");
    body.rate_limit = Number(rate);
  } else if (editing) {
    body.rate_limit = null;
  }
  const filter = v.filter.trim();
  if (filter) {
    try {
      body.filter = JSON.parse(filter);
    } catch (e) {
      throw new FieldError("filter", "not valid JSON");
    }
  } else if (editing) {
    body.filter = null;
  }
  return body;
}

// A local date and time (an input's value) as RFC 3339, or null when empty.
export function instant(local) {
  return local ? new Date(local).toISOString() : null;
}

// Black or white, whichever reads better on `hex` (#rgb or #rrggbb), by WCAG relative
// luminance: text on the platform's brand colour stays legible.
export function textOn(hex) {
  let h = hex.replace("#", "");
  if (h.length === 3) h = [...h].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? "#000000" : "#ffffff";
}
