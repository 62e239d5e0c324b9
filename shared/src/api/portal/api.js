// What every part of the page shares: the session's state, the API call (the key goes only in
// the Authorization header), and safe DOM building (text, never markup).
"use strict";

export const state = {
  token: null, session: null, webhook: null, cursor: null, delivery: null, catalogue: [],
  // The endpoint the editor is changing (null: adding one).
  editing: null,
  // Hours the chart covers: the last day or the last week.
  span: 24,
};
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
  return node;
}

export function when(t) {
  return t ? new Date(t).toLocaleString() : "—";
}

export function say(text) {
  $("status").textContent = text;
}

export function fail(text) {
  const p = $("problem");
  p.textContent = text;
  p.hidden = false;
  say("");
}

// What the session lets the customer do (`read` always).
export function may(capability) {
  return state.session.capabilities.includes(capability);
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error;
    super(e ? (e.field ? `${e.field}: ${e.message}` : e.message) : "HTTP " + status);
    this.status = status;
    this.field = e && e.field;
  }
}

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: Object.assign(
      { Authorization: "Bearer " + state.token, Accept: "application/json" },
      body ? { "Content-Type": "application/json" } : {},
    ),
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
    credentials: "omit",
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    // Expired, revoked or not a session at all: show nothing of any tenant.
    sessionStorage.removeItem("hookline-session");
    for (const id of ["endpoints", "webhook", "delivery", "catalogue", "editor", "secret"]) {
      $(id).hidden = true;
    }
    fail("This link has expired or is not valid. Ask for a new one from the application that sent you here.");
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Runs an action from a button or form; a failure is shown, never thrown away.
export function guard(fn) {
  return (...args) => fn(...args).catch((e) => {
    if (!(e instanceof ApiError && e.status === 401)) fail(e.message);
  });
}
