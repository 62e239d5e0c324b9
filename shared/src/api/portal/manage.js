// What a session with "manage" (and "retry") adds: the endpoint editor, the secret shown once,
// and the actions on one endpoint. Every action is a call to the API with the session's key:
// the page has no power the API would refuse it.
"use strict";

import { $, api, el, guard, may, say, state, when } from "./api.js";
import { FieldError, instant, webhookBody } from "./form.js";

let hooks = { reload: async () => {}, select: async () => {}, refresh: async () => {} };

export function setUpManage(callbacks) {
  hooks = callbacks;
  $("add-endpoint").hidden = !(may("manage") && !state.session.webhook_ids);
  $("add-endpoint").addEventListener("click", () => openEditor(null));
  $("ed-cancel").addEventListener("click", closeEditor);
  $("ed-auth").addEventListener("change", authFields);
  $("editor-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guard(save)();
  });
  $("secret-done").addEventListener("click", () => {
    $("secret-value").textContent = "";
    $("secret").hidden = true;
  });
}

// The signing secret, once: it is gone from the page when dismissed.
function showSecret(secret, note) {
  $("secret-value").textContent = secret;
  $("secret-note").textContent = note || "";
  $("secret").hidden = false;
  $("secret-done").focus();
}

const AUTH_FIELDS = {
  bearer: [["token", "Token", "password"]],
  basic: [["username", "User name", "text"], ["password", "Password", "password"]],
  header: [["name", "Header name", "text"], ["value", "Header value", "password"]],
};

function authFields() {
  const kind = $("ed-auth").value;
  $("ed-auth-fields").replaceChildren(...(AUTH_FIELDS[kind] || []).map(([name, label, type]) =>
    el("label", {}, label, el("input", { id: "ed-auth-" + name, type, autocomplete: "off", required: true }))));
}

function openEditor(w) {
  state.editing = w;
  $("editor-title").textContent = w ? "Edit endpoint" : "Add endpoint";
  $("ed-url").value = w ? w.url : "";
  $("ed-description").value = (w && w.description) || "";
  const subscribed = new Set(w ? w.events : []);
  $("ed-events").replaceChildren($("ed-events").querySelector("legend") || "",
    ...state.catalogue.map((t) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: t.name, checked: subscribed.has(t.name) }), t.name)));
  $("ed-headers").value = "";
  $("ed-headers-keep").hidden = !w;
  // Credentials are write-only: an edit keeps the current one unless another is given.
  const keep = $("ed-auth").querySelector('option[value="keep"]');
  keep.hidden = !(w && w.auth);
  $("ed-auth").value = w && w.auth ? "keep" : "none";
  authFields();
  $("ed-rate").value = (w && w.rate_limit) || "";
  $("ed-ordering").value = (w && w.ordering) || "none";
  $("ed-filter").value = w && w.filter ? JSON.stringify(w.filter, null, 2) : "";
  $("editor-error").hidden = true;
  $("editor").hidden = false;
  $("ed-url").focus();
}

function closeEditor() {
  $("editor").hidden = true;
  state.editing = null;
}

function editorValues() {
  const auth = { type: $("ed-auth").value };
  for (const input of $("ed-auth-fields").querySelectorAll("input")) {
    auth[input.id.replace("ed-auth-", "")] = input.value;
  }
  return {
    url: $("ed-url").value,
    description: $("ed-description").value,
    events: [...$("ed-events").querySelectorAll("input:checked")].map((i) => i.value),
    headers: $("ed-headers").value,
    auth,
    rate_limit: $("ed-rate").value,
    ordering: $("ed-ordering").value,
    filter: $("ed-filter").value,
  };
}

async function save() {
  const editing = state.editing;
  const problem = $("editor-error");
  problem.hidden = true;
  try {
    const body = webhookBody(editorValues(), Boolean(editing));
    const w = editing
      ? await api("PATCH", `v1/webhooks/${editing.id}`, body)
      : await api("POST", "v1/webhooks", body);
    closeEditor();
    await hooks.reload(w.id);
    if (!editing) showSecret(w.secret, "Keep it where your endpoint can read it.");
    say(editing ? "Endpoint saved." : "Endpoint added.");
  } catch (e) {
    if (!(e instanceof FieldError) && !(e.status >= 400 && e.status < 500 && e.status !== 401)) throw e;
    // The API's (or the form's) own words, naming the field.
    problem.textContent = e.message;
    problem.hidden = false;
  }
}

function action(label, attrs, fn) {
  const b = el("button", Object.assign({ type: "button" }, attrs), label);
  b.addEventListener("click", guard(fn));
  return b;
}

// The actions on the selected endpoint the session allows.
export function renderActions(w) {
  const parts = [];
  if (may("manage")) {
    parts.push(
      action("Edit", { id: "edit" }, async () => openEditor(w)),
      action(w.enabled ? "Pause" : "Resume", { id: "pause" }, async () => {
        await api("PATCH", `v1/webhooks/${w.id}`, { enabled: !w.enabled });
        await hooks.reload(w.id);
        say(w.enabled ? "Endpoint paused: deliveries wait until it is resumed." : "Endpoint resumed.");
      }),
      action("Send test event", { id: "send-test" }, async () => {
        const sent = await api("POST", `v1/webhooks/${w.id}/test`);
        await hooks.refresh();
        say(`Test event ${sent.event_id} queued.`);
      }),
      el("label", { class: "inline" }, "Grace period (hours)",
        el("input", { id: "grace", type: "number", min: "0", max: "168", value: "24" })),
      action("Rotate secret", { id: "rotate" }, async () => {
        const hours = Number($("grace").value || 0);
        const r = await api("POST", `v1/webhooks/${w.id}/rotate-secret`,
          { grace_period_seconds: Math.round(hours * 3600) });
        showSecret(r.secret, r.previous_secret_expires_at
          ? `Requests carry both signatures until ${when(r.previous_secret_expires_at)}; then only the new one.`
          : "The previous secret no longer verifies.");
        say("Secret rotated.");
      }),
      action("Delete", { id: "delete", class: "danger" }, async () => confirmDelete(w)),
    );
  }
  if (may("retry")) {
    parts.push(
      el("label", { class: "inline" }, "Failed since",
        el("input", { id: "recover-since", type: "datetime-local", step: "1" })),
      action("Recover", { id: "recover" }, async () => {
        const since = instant($("recover-since").value);
        if (!since) {
          say("Choose since when to recover failed deliveries.");
          return;
        }
        const r = await api("POST", `v1/webhooks/${w.id}/recover`, { since });
        await hooks.refresh();
        say(`Recovering: ${r.queued} failed ${r.queued === 1 ? "delivery" : "deliveries"} queued again.`);
      }),
    );
  }
  $("actions").replaceChildren(...parts);
  $("actions").hidden = parts.length === 0;
}

// Deleting takes a second, deliberate click on a button that says what it does.
async function confirmDelete(w) {
  const b = $("delete");
  if (b.dataset.armed !== "yes") {
    b.dataset.armed = "yes";
    b.textContent = "Delete for good: click again";
    return;
  }
  await api("DELETE", `v1/webhooks/${w.id}`);
  await hooks.reload(null);
  say("Endpoint deleted.");
}
