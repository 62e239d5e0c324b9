//! Hookline's integration tests: one binary, one module per capability.

mod api;
mod consistency;
mod contract;
mod delivery;
mod idempotency;
mod isolation;
mod lambda;
mod layout;
mod long_retries;
mod metrics;
mod modes;
mod operations;
mod partners;
mod portal;
mod ratelimit;
mod secrets;
mod serve;
mod signatures;
mod signed;
mod template;
mod tokens;
