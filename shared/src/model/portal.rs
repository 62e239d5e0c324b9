//! What a customer portal session grants beyond its scopes: what the customer may do, where the
//! page may be embedded, and how it looks.

use serde::{Deserialize, Serialize};

use super::Scope;

/// One thing a portal session lets the customer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See the endpoints, their deliveries, stats and the event catalogue (always granted).
    Read,
    /// Retry a delivery and recover failed deliveries since a time.
    Retry,
    /// Create, edit, pause and delete endpoints, rotate their secrets, send test events.
    Manage,
}

impl Capability {
    pub const ALL: [Capability; 3] = [Capability::Read, Capability::Retry, Capability::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::Retry => "retry",
            Capability::Manage => "manage",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The API scope that carries this capability: a session holds these scopes and nothing
    /// else, so the portal can do only what the API lets such a key do.
    pub fn scope(self) -> Scope {
        match self {
            Capability::Read => Scope::WebhooksRead,
            Capability::Retry => Scope::DeliveriesRetry,
            Capability::Manage => Scope::WebhooksWrite,
        }
    }

    /// The capabilities a session's scopes carry (`read` always).
    pub fn of_scopes(scopes: &[Scope]) -> Vec<Capability> {
        let mut caps = vec![Capability::Read];
        if super::allows(scopes, Scope::DeliveriesRetry) {
            caps.push(Capability::Retry);
        }
        if super::allows(scopes, Scope::WebhooksWrite) {
            caps.push(Capability::Manage);
        }
        caps
    }
}

/// Light, dark, or whichever the customer's system prefers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

/// How the page looks, so that it sits in the platform's own app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Appearance {
    #[serde(default)]
    pub theme: Theme,
    /// Buttons, links and focus rings: `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
    /// An image shown in the header (`https://`, or `http://` on a loopback host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// Stored on a session's key: it marks the key as a portal session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalGrant {
    /// Origins whose pages may show the portal in a frame (none: it may not be framed).
    #[serde(default)]
    pub frame_ancestors: Vec<String>,
    #[serde(default)]
    pub appearance: Appearance,
}
