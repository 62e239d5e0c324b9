// The customer portal: reads the session key from the URL fragment (never sent to a server),
// learns what the session grants, then calls the same API as every client. Everything from the
// API is written as text, never as markup, so nothing an endpoint answered can run here.
"use strict";

import { $, ApiError, api, el, fail, guard, may, say, state, when } from "./api.js";
import { instant, textOn } from "./form.js";
import { renderActions, setUpManage } from "./manage.js";

function badge(text, cls) {
  return el("span", { class: "badge " + (cls || text) }, text.replace("_", " "));
}

// The endpoint's circuit breaker, in a customer's words.
const HEALTH = {
  closed: "healthy", half_open: "recovering", open: "failing, paused", disabled: "disabled",
  paused: "paused by you",
};

function health(w) {
  const state = w.enabled ? w.health.state : w.disabled_reason ? "disabled" : "paused";
  return badge(HEALTH[state] || state, state);
}

function takeSession() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("session");
  if (fromUrl) {
    sessionStorage.setItem("hookline-session", fromUrl);
    // Out of the address bar and the history: the key should not be copied along with a link.
    history.replaceState(null, "", location.pathname + location.search);
  }
  return fromUrl || sessionStorage.getItem("hookline-session");
}

// What the platform granted and how the page should look. A session minted before sessions
// had capabilities reads and retries.
async function loadSession() {
  try {
    state.session = await api("GET", "v1/portal-sessions/current");
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    state.session = { capabilities: ["read", "retry"], webhook_ids: null, appearance: {} };
  }
  const look = state.session.appearance || {};
  document.documentElement.dataset.theme = look.theme || "auto";
  // Through the CSS object model, which the page's CSP allows (inline styles it does not).
  if (look.brand_color) {
    document.documentElement.style.setProperty("--accent", look.brand_color);
    document.documentElement.style.setProperty("--on-accent", textOn(look.brand_color));
  }
  if (look.logo_url) {
    $("logo").src = look.logo_url;
    $("logo").hidden = false;
  }
}

// The endpoints; then the one to show: `chosen` (after a change), the one the address names,
// or the only one.
async function loadWebhooks(chosen) {
  const list = $("webhooks");
  list.replaceChildren();
  let cursor = null;
  const all = [];
  do {
    const q = new URLSearchParams({ limit: "100" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", "v1/webhooks?" + q);
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && all.length < 500);
  for (const w of all) {
    const button = el(
      "button",
      { type: "button", "data-webhook": w.id, "aria-current": "false" },
      el("strong", {}, w.description || w.url),
      el("br"),
      el("span", { class: "url" }, w.url),
      el("br"),
      health(w),
      " ",
      el("span", { class: "muted" }, "last delivery " + when(w.last_triggered_at)),
    );
    button.addEventListener("click", () => selectWebhook(w));
    list.append(el("li", {}, button));
  }
  $("endpoints").hidden = false;
  say(all.length === 1 ? "1 endpoint" : all.length + " endpoints");
  const named = chosen === undefined ? new URLSearchParams(location.search).get("webhook") : chosen;
  const pick = all.find((w) => w.id === named) || (all.length === 1 && !named ? all[0] : null);
  if (pick) {
    await selectWebhook(pick);
  } else {
    $("webhook").hidden = true;
    $("delivery").hidden = true;
    if (named && chosen === undefined) fail("No such endpoint here.");
  }
}

// The event catalogue: every type a customer may subscribe to, with its example and schema
// folded away until asked for.
async function loadCatalogue() {
  const page = await api("GET", "v1/event-types");
  state.catalogue = page.data.filter((t) => !t.deprecated);
  const json = (v) => el("pre", {}, JSON.stringify(v, null, 2));
  $("event-types").replaceChildren(...page.data.map((t) => el("li", { "data-type": t.name },
    el("code", {}, t.name),
    t.description ? el("span", {}, " — " + t.description) : "",
    ...(t.example ? [el("details", {}, el("summary", {}, "Example"), json(t.example))] : []),
    ...(t.schema ? [el("details", {}, el("summary", {}, "Schema"), json(t.schema))] : []),
  )));
  $("catalogue").hidden = page.data.length === 0;
}

async function selectWebhook(w) {
  state.webhook = w;
  for (const b of document.querySelectorAll("[data-webhook]")) {
    b.setAttribute("aria-current", String(b.dataset.webhook === w.id));
  }
  $("webhook-title").textContent = w.description || "Endpoint";
  $("webhook-url").textContent = w.url;
  $("webhook").hidden = false;
  $("delivery").hidden = true;
  renderActions(w);
  await refreshWebhook(true);
}

// The endpoint's figures, chart and delivery log (again after a retry).
async function refreshWebhook(fresh) {
  const w = state.webhook;
  const stats = await api("GET", `v1/webhooks/${w.id}/stats?hours=${state.span}`);
  const day = stats.last_24h;
  const summary = $("webhook-summary");
  summary.replaceChildren(
    el("dt", {}, "Health"), el("dd", {}, health(w)),
    el("dt", {}, "Subscribed to"), el("dd", {}, w.events.length ? w.events.join(", ") : "every event type"),
    // Names only: a header's value may be a credential of the receiver.
    ...(Object.keys(w.headers || {}).length
      ? [el("dt", {}, "Custom headers"), el("dd", {}, Object.keys(w.headers).join(", "))]
      : []),
    // The kind of authentication only, never the (already masked) credential.
    ...(w.auth ? [el("dt", {}, "Authentication"), el("dd", {}, w.auth.type)] : []),
    // The payload filter as written: only events that meet it are delivered here.
    ...(w.filter ? [el("dt", {}, "Filter"), el("dd", {}, el("code", {}, JSON.stringify(w.filter)))] : []),
    ...(w.ordering === "fifo" ? [el("dt", {}, "Ordering"), el("dd", {}, "one at a time, in publish order (FIFO)")] : []),
    // The limit set and, when the receiver's 429s hold it lower, the rate used now.
    ...(w.rate_limit ? [el("dt", {}, "Rate limit"), el("dd", {}, w.rate_limit_in_force < w.rate_limit
      ? `${w.rate_limit}/s (now ${w.rate_limit_in_force}/s: the endpoint answered 429)`
      : `${w.rate_limit}/s`)] : []),
    ...(w.health.paused_until ? [el("dt", {}, "Paused until"),
      el("dd", {}, `${new Date(w.health.paused_until).toLocaleString()} (the endpoint asked to wait)`)] : []),
    ...(w.rate_limit ? [el("dt", {}, "Held back by the limit (24 h)"), el("dd", {}, String(day.held_back))] : []),
    el("dt", {}, "Success rate (24 h)"),
    el("dd", {}, day.success_rate === null ? "—" : (day.success_rate * 100).toFixed(1) + " %"),
    el("dt", {}, "Response time (24 h)"),
    el("dd", {}, day.response_time.p50_ms === null ? "—"
      : `p50 ≤ ${day.response_time.p50_ms} ms, p95 ≤ ${day.response_time.p95_ms} ms`),
    el("dt", {}, "Pending now"), el("dd", {}, String(stats.all_time.deliveries.pending ?? 0)),
  );
  drawChart(stats.hourly);
  await loadDeliveries(fresh);
}

function drawChart(hours) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 720, H = 180, pad = 24, bw = (W - 2 * pad) / hours.length;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const total = hours.reduce((n, h) => n + h.succeeded + h.failed, 0);
  const period = hours.length > 24 ? "7 days" : "24 hours";
  svg.setAttribute("aria-label", `Deliveries settled in the last ${period}: ${total}; the table below has each hour`);
  $("chart-span").textContent = "Last " + period;
  const shape = (tag, attrs) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    svg.append(n);
    return n;
  };
  const top = Math.max(1, ...hours.map((h) => h.succeeded + h.failed));
  const slowest = Math.max(1, ...hours.map((h) => h.p50_ms || 0));
  const y = (v) => H - pad - (v / top) * (H - 2 * pad);
  shape("line", { x1: pad, x2: W - pad, y1: H - pad, y2: H - pad, class: "axis" });
  const points = [];
  hours.forEach((h, i) => {
    const x = pad + i * bw + 1;
    shape("rect", { x, width: bw - 2, y: y(h.succeeded), height: H - pad - y(h.succeeded), class: "ok" });
    shape("rect", { x, width: bw - 2, y: y(h.succeeded + h.failed), height: y(h.succeeded) - y(h.succeeded + h.failed), class: "bad" });
    if (h.p50_ms !== null) {
      points.push(`${x + bw / 2},${H - pad - (h.p50_ms / slowest) * (H - 2 * pad)}`);
    }
  });
  if (points.length > 1) shape("polyline", { points: points.join(" "), class: "latency" });
  shape("text", { x: pad, y: 12 }).textContent = `up to ${top} per hour`;
  shape("text", { x: W - pad, y: 12, "text-anchor": "end" }).textContent = `median ≤ ${slowest} ms`;
  const start = new Date(hours[0].hour);
  shape("text", { x: pad, y: H - 6 }).textContent = hours.length > 24
    ? start.toLocaleDateString([], { month: "short", day: "numeric" })
    : start.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  shape("text", { x: W - pad, y: H - 6, "text-anchor": "end" }).textContent = "now";
  $("chart").replaceChildren(svg);
  $("chart-data").tBodies[0].replaceChildren(
    ...hours.map((h) => el("tr", {},
      el("th", { scope: "row" }, when(h.hour)),
      el("td", {}, String(h.succeeded)), el("td", {}, String(h.failed)),
      el("td", {}, String(h.attempts)), el("td", {}, h.p50_ms === null ? "—" : String(h.p50_ms)))),
  );
}

async function loadDeliveries(fresh) {
  const w = state.webhook;
  const q = new URLSearchParams({ limit: "25" });
  const status = $("filter-status").value;
  const type = $("filter-type").value.trim();
  if (status) q.set("status", status);
  if (type) q.set("event_type", type);
  // The inputs hold local time; the API takes RFC 3339.
  for (const [field, name] of [["filter-since", "since"], ["filter-until", "until"]]) {
    const at = instant($(field).value);
    if (at) q.set(name, at);
  }
  if (!fresh && state.cursor) q.set("cursor", state.cursor);
  const page = await api("GET", `v1/webhooks/${w.id}/deliveries?${q}`);
  const body = $("deliveries").tBodies[0];
  if (fresh) body.replaceChildren();
  for (const d of page.data) {
    const open = el("button", { type: "button", "data-delivery": d.id }, d.event_id);
    open.addEventListener("click", () => showDelivery(d.id));
    body.append(el("tr", { "data-event": d.event_id },
      el("td", {}, open),
      el("td", {}, d.event_type),
      el("td", {}, badge(d.status)),
      el("td", { "data-attempts": "" }, String(d.attempt_count)),
      el("td", {}, d.last_status_code === null ? "—" : String(d.last_status_code)),
      el("td", {}, when(d.created_at))));
  }
  state.cursor = page.next_cursor;
  $("more").hidden = !state.cursor;
  $("log-empty").hidden = body.rows.length > 0;
}

// What an attempt's error kind and rule mean, in words (the API's values as a fallback).
const ERROR_KINDS = {
  http_status: "the endpoint answered with an error status", timeout: "timed out",
  connection: "could not connect", dns: "the host name did not resolve",
  blocked_address: "the address is not allowed", invalid_url: "the URL is not valid",
  request: "the request failed", auth_token: "no token from the authorization server",
};
const RULES = {
  delivered: "delivered", retry: "a failure: retried on the schedule while its window lasts",
  slow_down: "the endpoint asked to slow down: retried later", redirect: "a redirect: not followed",
  gone: "410 Gone: the webhook was disabled",
};

async function showDelivery(id) {
  const d = await api("GET", `v1/webhooks/${state.webhook.id}/deliveries/${id}`);
  state.delivery = d;
  $("delivery-title").textContent = "Delivery of " + d.event_id;
  $("delivery-summary").replaceChildren(
    el("dt", {}, "Event type"), el("dd", {}, d.event_type),
    el("dt", {}, "Status"), el("dd", {}, badge(d.status)),
    el("dt", {}, "Created"), el("dd", {}, when(d.created_at)),
    el("dt", {}, "Next attempt"), el("dd", {}, when(d.next_attempt_at)),
    ...(d.deferred_reason ? [el("dt", {}, "Waiting because"), el("dd", {}, d.deferred_reason)] : []),
    ...(d.cancel_reason ? [el("dt", {}, "Cancelled"), el("dd", {}, d.cancel_reason)] : []),
    el("dt", {}, "Kept until"), el("dd", {}, when(d.expires_at)),
  );
  $("attempts").replaceChildren(...d.attempts.map((a, i) => el("li", { "data-attempt": String(i + 1) },
    el("strong", {}, a.status_code === null ? "No response" : "HTTP " + a.status_code),
    ` after ${a.duration_ms} ms, ${when(a.at)}`,
    a.manual ? " (retried by hand)" : "",
    a.error_kind || a.rule ? el("div", { "data-outcome": "" }, [
      a.error_kind ? ERROR_KINDS[a.error_kind] || a.error_kind : "",
      a.rule ? RULES[a.rule] || a.rule : "",
    ].filter(Boolean).join("; ")) : "",
    a.error ? el("div", { class: "muted" }, a.error) : "",
    a.response_excerpt ? el("pre", { "aria-label": "Response excerpt" }, a.response_excerpt) : "",
    // Kept for failed attempts, credentials already masked by the API.
    a.request_headers ? el("details", { "data-headers": "" }, el("summary", {}, "Headers sent"),
      el("pre", {}, Object.entries(a.request_headers).map(([k, v]) => `${k}: ${v}`).join("\n"))) : "",
  )));
  $("delivery").hidden = false;
  $("retry").hidden = !may("retry");
  $("retry").disabled = false;
  return d;
}

async function retry() {
  const before = state.delivery;
  $("retry").disabled = true;
  await api("POST", `v1/webhooks/${state.webhook.id}/deliveries/${before.id}/retry`);
  say("Retry queued; waiting for the attempt…");
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const d = await api("GET", `v1/webhooks/${state.webhook.id}/deliveries/${before.id}`);
    if (d.attempts.length > before.attempts.length) {
      await showDelivery(d.id);
      await refreshWebhook(true);
      const last = d.attempts[d.attempts.length - 1];
      say(`Retried: ${last.status_code === null ? "no response" : "HTTP " + last.status_code}.`);
      return;
    }
  }
  $("retry").disabled = false;
  say("The retry is queued and has not run yet; look again in a minute.");
}

// A new link opened in the same tab differs only in its fragment, which does not reload a page.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).get("session")) location.reload();
});

document.addEventListener("DOMContentLoaded", () => {
  state.token = takeSession();
  if (!state.token) {
    fail("No session: open this page from the link the application gave you.");
    return;
  }
  $("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    guard(loadDeliveries)(true);
  });
  $("more").addEventListener("click", guard(() => loadDeliveries(false)));
  $("refresh").addEventListener("click", guard(() => refreshWebhook(true)));
  for (const b of [$("span-day"), $("span-week")]) {
    b.addEventListener("click", guard(async () => {
      state.span = Number(b.dataset.hours);
      for (const o of [$("span-day"), $("span-week")]) o.setAttribute("aria-pressed", String(o === b));
      await refreshWebhook(true);
    }));
  }
  $("retry").addEventListener("click", guard(retry));
  say("Loading…");
  guard(async () => {
    await loadSession();
    await loadCatalogue();
    setUpManage({
      reload: (id) => loadWebhooks(id),
      refresh: () => refreshWebhook(true),
    });
    await loadWebhooks();
  })();
});
