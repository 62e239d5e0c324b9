//! The scopes routes can require, as types: a handler names one in its extractor
//! ([`super::Auth<S>`]), so a route without an authorization rule does not compile.

use std::marker::PhantomData;

use crate::model::Scope;

/// The scope a route requires, as a type.
pub trait RequiredScope: Send + Sync + 'static {
    /// `None`: any authenticated caller.
    const SCOPE: Option<Scope>;
    /// Whether a customer portal session holding [`Self::SCOPE`] may use the route.
    const SESSIONS: bool = true;
}

/// Reading webhooks, deliveries, events and stats.
pub struct Read;
/// Changing webhooks and asking for deliveries (retry, recover, test).
pub struct Write;
/// Asking for a delivery again (a portal session may; `webhooks:write` implies it).
pub struct Retry;
/// Publishing events.
pub struct Publish;
/// Operator tasks (the catalogue, other tenants).
pub struct Admin;
/// Any valid credential (e.g. reading the event type catalogue).
pub struct Any;
/// `S`, for the platform's own credentials only: the tenant's client keys, verification keys
/// and portal sessions are never a customer's to change, whatever a session was granted.
pub struct Platform<S>(PhantomData<S>);

impl RequiredScope for Read {
    const SCOPE: Option<Scope> = Some(Scope::WebhooksRead);
}
impl RequiredScope for Write {
    const SCOPE: Option<Scope> = Some(Scope::WebhooksWrite);
}
impl RequiredScope for Retry {
    const SCOPE: Option<Scope> = Some(Scope::DeliveriesRetry);
}
impl RequiredScope for Publish {
    const SCOPE: Option<Scope> = Some(Scope::EventsPublish);
}
impl RequiredScope for Admin {
    const SCOPE: Option<Scope> = Some(Scope::Admin);
}
impl RequiredScope for Any {
    const SCOPE: Option<Scope> = None;
}
impl<S: RequiredScope> RequiredScope for Platform<S> {
    const SCOPE: Option<Scope> = S::SCOPE;
    const SESSIONS: bool = false;
}
