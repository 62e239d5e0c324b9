//! Secret material (signing secrets, private keys, credentials) as a type that cannot leak by
//! accident: its `Debug` and `Display` print no part of it, and the value is read only through
//! [`Secret::expose`], so every place that uses it says so. Serde writes it as the plain string:
//! that is how the store keeps it (like the signing secret, which the receiver must know), and
//! answers show it only where an operation reveals it on purpose.

use serde::{Deserialize, Serialize};

/// A secret string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: for signing, storing, or an answer that reveals it once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_nothing_of_itself_and_round_trips_as_a_string() {
        let s = Secret::new("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
        for shown in [format!("{s:?}"), format!("{s}"), format!("{:?}", Some(&s))] {
            assert!(!shown.contains("c2Vj") && !shown.contains("ZQ="), "{shown}");
        }
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=\"");
        assert_eq!(serde_json::from_str::<Secret>(&json).unwrap(), s);
    }
}
