-- The embedded backend's schema: every table of the store and the delivery queue, in one
-- SQLite database. Entities are kept as a JSON `doc` beside the columns that queries use.
-- Applied at every start; every statement is idempotent.

CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id, id);

-- `health` (JSON) and `health_rev` are written by the delivery engine apart from `doc`.
CREATE TABLE IF NOT EXISTS webhooks (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
  health TEXT, health_rev INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id));

CREATE TABLE IF NOT EXISTS event_types (name TEXT PRIMARY KEY, doc TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS events (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX IF NOT EXISTS events_by_expiry ON events (expires_ms);

-- `attempts` guards save_delivery: a record is replaced only by the worker that read it.
-- `lean`: a first-try success of a tenant whose log level is `failures` (see save_marks).
CREATE TABLE IF NOT EXISTS deliveries (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, webhook_id TEXT NOT NULL, event_id TEXT NOT NULL,
  status TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, doc TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, lean INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, id));
CREATE INDEX IF NOT EXISTS deliveries_by_expiry ON deliveries (expires_ms);
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (tenant_id, webhook_id, created_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (tenant_id, event_id);

-- bucket -1 holds the all-time counters; others are unix hours.
CREATE TABLE IF NOT EXISTS webhook_stats (
  tenant_id TEXT NOT NULL, webhook_id TEXT NOT NULL, bucket INTEGER NOT NULL, name TEXT NOT NULL,
  value INTEGER NOT NULL, PRIMARY KEY (tenant_id, webhook_id, bucket, name));

-- The delivery queue, with SQS's semantics. The table holds each message, its fairness group
-- (`grp`, the webhook) and when it is due (`visible_at_ms`, written for retry delays); which
-- messages are in flight is kept in the consumer's memory (crate::queue::schedule), so that
-- receiving writes nothing. (`receipt` and `in_flight` are columns of earlier builds.)
CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at_ms INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT,
  grp TEXT NOT NULL DEFAULT '', in_flight INTEGER NOT NULL DEFAULT 0);
DROP INDEX IF EXISTS queue_by_visibility;

-- The rate limiter's counters: requests per key (class and principal) and one-minute window.
CREATE TABLE IF NOT EXISTS rate_counters (
  key TEXT NOT NULL, window_start INTEGER NOT NULL, count INTEGER NOT NULL,
  expires INTEGER NOT NULL, PRIMARY KEY (key, window_start));

-- Each rate-limited webhook's schedule: when its next delivery slot starts (unix ms).
CREATE TABLE IF NOT EXISTS rate_schedules (
  key TEXT PRIMARY KEY, next_ms INTEGER NOT NULL, expires INTEGER NOT NULL);

-- Idempotency keys of API writes: the request's hash and, once answered, the answer.
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY, doc TEXT NOT NULL, expires INTEGER NOT NULL);

-- Client public keys for signed requests (RFC 9421); `key_id` is global.
CREATE TABLE IF NOT EXISTS client_keys (
  key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS client_keys_by_tenant ON client_keys (tenant_id, key_id);

-- Each tenant's signing key pairs (asymmetric delivery signatures), versioned.
CREATE TABLE IF NOT EXISTS keyrings (
  tenant_id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);

-- Each tenant's own settings (log level, retention), versioned.
CREATE TABLE IF NOT EXISTS tenant_settings (
  tenant_id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);

-- Partners: groups of tenants that partner keys act on, versioned.
CREATE TABLE IF NOT EXISTS partners (
  partner_id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);

-- Attempts that left a delivery's inline window (the record keeps the latest few), by number.
CREATE TABLE IF NOT EXISTS delivery_attempts (
  tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, number INTEGER NOT NULL, doc TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (tenant_id, delivery_id, number));
