//! Hookline core library: everything the Lambda functions and the `hookline` command share.
//!
//! The map of its modules, floor by floor, is ARCHITECTURE.md §11 at the repository root (a
//! test keeps it complete). Cargo features pick what is linked: `sqlite` (the embedded store and
//! queue of `hookline serve`), `aws` (DynamoDB, SQS, the Lambda delivery driver) and `api` (the
//! HTTP API, which the delivery function does without).

#[cfg(feature = "api")]
pub mod api;
#[cfg(feature = "api")]
pub mod auth;
#[cfg(feature = "aws")]
pub mod aws_http;
#[cfg(feature = "aws")]
pub mod aws_json;
pub mod backend;
pub mod cache;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod error;
pub mod fault;
pub mod httpsig;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod patch;
pub mod publishing;
pub mod queue;
#[cfg(feature = "api")]
pub mod ratelimit;
#[cfg(feature = "api")]
pub mod schema;
pub mod secret;
#[cfg(feature = "api")]
pub mod server;
pub mod service;
pub mod signing;
pub mod stats;
pub mod store;
pub mod telemetry;
#[cfg(all(test, any(feature = "aws", feature = "sqlite")))]
mod test_server;
pub mod tls;
pub mod validation;
pub mod verify;

pub use error::{Error, Result};
