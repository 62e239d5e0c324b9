//! Hookline core library: everything the Lambda functions and the `hookline` command share.
//!
//! One module per concern: [`config`] (environment), [`error`] (one error type, mapped to HTTP),
//! [`model`] (domain types), [`validation`], [`signing`] (Standard Webhooks), [`auth`] (API keys),
//! [`store`] and [`queue`] (small traits with SQLite and AWS adapters), [`publish`] (fan-out),
//! [`delivery`] (sending, retry policy, address guard, SQS and local drivers) and [`api`] (the
//! axum router served by Lambda and by `hookline serve`).

pub mod api;
pub mod auth;
pub mod backend;
pub mod config;
pub mod delivery;
pub mod error;
pub mod ids;
pub mod model;
pub mod publish;
pub mod queue;
pub mod server;
pub mod signing;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod validation;

pub use error::{Error, Result};
