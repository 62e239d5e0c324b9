//! Hookline core library: everything the Lambda functions and the `hookline` command share.
//!
//! One module per concern: [`config`] (environment), [`error`] (one error type, mapped to HTTP),
//! [`ids`] (typed ids), [`clock`], [`model`] (domain types and their rules), [`validation`],
//! [`tls`] (one TLS stack and trust store), [`signing`] (delivery signatures: Standard Webhooks `v1`/`v1a`, RFC 9421 through [`httpsig`]), [`metrics`] (Prometheus and CloudWatch EMF), [`auth`] (authenticators, principals, scopes), [`store`] and
//! [`queue`] (small traits with SQLite and AWS adapters), [`service`] (the operations behind the
//! API), [`publish`] (fan-out), [`delivery`] (sending, retry policy, address guard, SQS and local
//! drivers) and [`api`] (the axum router served by Lambda and by `hookline serve`).
//!
//! Cargo features pick the backends: `sqlite` (embedded store and queue, `hookline serve`) and
//! `aws` (DynamoDB, SQS and the Lambda delivery driver). ARCHITECTURE.md at the repository root
//! explains the data flow, the item design and the rules.

pub mod api;
pub mod auth;
pub mod backend;
pub mod cache;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod error;
pub mod httpsig;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod patch;
pub mod queue;
pub mod ratelimit;
pub mod schema;
pub mod secret;
pub mod server;
pub mod service;
pub mod signing;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod validation;

pub use error::{Error, Result};
