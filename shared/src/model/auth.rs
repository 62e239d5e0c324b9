//! How a receiver wants Hookline's requests authenticated, and which certificate authority
//! its TLS certificate may chain to. The credentials are [`Secret`]s: kept in the store like the
//! signing secret, never printed, shown masked in answers.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReceiverAuth {
    /// `Authorization: Basic` with the pair.
    Basic {
        username: String,
        #[cfg_attr(feature = "api", schema(value_type = String))]
        password: Secret,
    },
    /// `Authorization: Bearer` with the token.
    Bearer {
        #[cfg_attr(feature = "api", schema(value_type = String))]
        token: Secret,
    },
    /// An API-key header: `name: value`.
    Header {
        name: String,
        #[cfg_attr(feature = "api", schema(value_type = String))]
        value: Secret,
    },
    /// OAuth2 client credentials (RFC 6749 §4.4): a bearer token fetched from `token_url`,
    /// cached until shortly before it expires, fetched again once when the receiver answers 401.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        token_url: String,
        client_id: String,
        #[cfg_attr(feature = "api", schema(value_type = String))]
        client_secret: Secret,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audience: Option<String>,
        /// How the client authenticates at the token URL: `basic` (the default, RFC 6749
        /// §2.3.1) or `body` (`client_id` and `client_secret` in the form).
        #[serde(default, skip_serializing_if = "ClientAuthMethod::is_default")]
        client_auth: ClientAuthMethod,
    },
    /// Mutual TLS: this client certificate (PEM, with its chain) and its private key (PEM) are
    /// presented on the TLS connection to this webhook only.
    Mtls {
        certificate: String,
        #[cfg_attr(feature = "api", schema(value_type = String))]
        private_key: Secret,
    },
}

/// How an OAuth2 client authenticates at its token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    #[default]
    Basic,
    Body,
}

impl ClientAuthMethod {
    fn is_default(&self) -> bool {
        *self == ClientAuthMethod::Basic
    }
}

impl ReceiverAuth {
    /// The header it adds to every request, when it is a fixed one (OAuth2 fetches its token,
    /// mutual TLS adds none).
    pub fn static_header(&self) -> Option<(String, String)> {
        use base64::Engine;
        Some(match self {
            ReceiverAuth::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                ("authorization".into(), format!("Basic {encoded}"))
            }
            ReceiverAuth::Bearer { token } => {
                ("authorization".into(), format!("Bearer {}", token.expose()))
            }
            ReceiverAuth::Header { name, value } => (name.clone(), value.expose().to_string()),
            ReceiverAuth::OAuth2ClientCredentials { .. } | ReceiverAuth::Mtls { .. } => {
                return None;
            }
        })
    }

    /// The same with each credential masked: its last 4 characters, when it has 12 or more (a
    /// private key shows none of itself).
    pub fn masked(&self) -> Self {
        let mask = |s: &Secret| {
            let v = s.expose();
            let n = v.chars().count();
            let tail: String = v.chars().skip(n.saturating_sub(4)).collect();
            Secret::new(if n >= 12 {
                format!("****{tail}")
            } else {
                "****".into()
            })
        };
        match self {
            ReceiverAuth::Basic { username, password } => ReceiverAuth::Basic {
                username: username.clone(),
                password: mask(password),
            },
            ReceiverAuth::Bearer { token } => ReceiverAuth::Bearer { token: mask(token) },
            ReceiverAuth::Header { name, value } => ReceiverAuth::Header {
                name: name.clone(),
                value: mask(value),
            },
            ReceiverAuth::OAuth2ClientCredentials {
                client_secret,
                token_url,
                client_id,
                scope,
                audience,
                client_auth,
            } => ReceiverAuth::OAuth2ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: mask(client_secret),
                scope: scope.clone(),
                audience: audience.clone(),
                client_auth: *client_auth,
            },
            ReceiverAuth::Mtls { certificate, .. } => ReceiverAuth::Mtls {
                certificate: certificate.clone(),
                private_key: Secret::new(String::from("****")),
            },
        }
    }

    /// Its name as the API spells it (`type`).
    pub fn kind(&self) -> &'static str {
        match self {
            ReceiverAuth::Basic { .. } => "basic",
            ReceiverAuth::Bearer { .. } => "bearer",
            ReceiverAuth::Header { .. } => "header",
            ReceiverAuth::OAuth2ClientCredentials { .. } => "oauth2_client_credentials",
            ReceiverAuth::Mtls { .. } => "mtls",
        }
    }
}

/// How a receiver's TLS certificate is checked beyond the system roots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TlsOptions {
    /// A certificate authority (PEM) the receiver's certificate may chain to, as well as the
    /// system roots (a private PKI). Verification is never turned off.
    pub ca_certificate: String,
}
