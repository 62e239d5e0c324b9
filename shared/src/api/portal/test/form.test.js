// Tests of the editor's pure functions, run in headless Chromium by tests/portal_browser.py
// (served beside ../form.js). The page writes "PASS n" or each failure into #results.
import { FieldError, headerLines, instant, textOn, webhookBody } from "../form.js";

const failures = [];
let count = 0;
function check(name, fn) {
  count++;
  try {
    fn();
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}
function equal(a, b) {
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(`${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
  }
}
function fieldError(fn, field) {
  try {
    fn();
  } catch (e) {
    if (e instanceof FieldError && e.field === field) return;
    throw new Error(`wrong error ${e.message}`);
  }
  throw new Error(`no error for ${field}`);
}

const blank = {
  url: " https://example.com/h ", description: "", events: [], headers: "",
  auth: { type: "none" }, rate_limit: "", ordering: "none", filter: "",
};

check("a create leaves empty fields out", () => {
  equal(webhookBody(blank, false), { url: "https://example.com/h", events: [], ordering: "none" });
});
check("an edit clears what an empty field sets, and keeps write-only fields", () => {
  equal(webhookBody({ ...blank, auth: { type: "keep" } }, true), {
    url: "https://example.com/h", events: [], ordering: "none", description: null,
    rate_limit: null, filter: null,
  });
  equal(webhookBody(blank, true).auth, null);
});
check("every field is carried", () => {
  const body = webhookBody({
    ...blank, description: "Orders", events: ["order.paid"], headers: "X-A: 1\n\nX-B: two: parts",
    auth: { type: "basic", username: "u", password: "p" }, rate_limit: "20", ordering: "fifo",
    filter: '{"data": {"n": {"$gt": 1}}}',
  }, false);
  equal(body, {
    url: "https://example.com/h", events: ["order.paid"], ordering: "fifo", description: "Orders",
    headers: { "X-A": "1", "X-B": "two: parts" }, auth: { type: "basic", username: "u", password: "p" },
    rate_limit: 20, filter: { data: { n: { $gt: 1 } } },
  });
});
check("bad input names its field", () => {
  fieldError(() => webhookBody({ ...blank, url: " " }, false), "url");
  fieldError(() => webhookBody({ ...blank, rate_limit: "2.5" }, false), "rate_limit");
  fieldError(() => webhookBody({ ...blank, filter: "{nope" }, false), "filter");
  fieldError(() => headerLines("no colon here"), "headers");
});
check("instants are RFC 3339, empty is null", () => {
  equal(instant(""), null);
  equal(instant("2026-01-02T03:04:05").endsWith("Z"), true);
});
check("text on a brand colour is legible", () => {
  equal(textOn("#000"), "#ffffff");
  equal(textOn("#ffffff"), "#000000");
  equal(textOn("#ffd700"), "#000000");
  equal(textOn("#0a3d91"), "#ffffff");
});

document.getElementById("results").textContent =
  failures.length ? failures.join("\n") : `PASS ${count}`;
