//! [`Patch`]: a field of a PATCH body that tells an absent field from `null`.

use serde::{Deserialize, Deserializer};

use crate::error::Result;

/// A field of a PATCH body: absent (leave it), `null` (clear it) or a value (set it). Use with
/// `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

/// As JSON a patch is its value or `null` (the API contract's defaults are written this way).
impl<T: serde::Serialize> serde::Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Patch::Value(v) => v.serialize(s),
            Patch::Absent | Patch::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}

impl<T> Patch<T> {
    /// The same patch with its value (if any) passed through `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// Applies an optional field to `slot`: a value sets it, `null` clears it.
    pub fn apply_to_option(self, slot: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *slot = None,
            Patch::Value(v) => *slot = Some(v),
        }
    }

    /// Applies the field to `slot`: a value sets it, `null` resets it with `cleared`.
    pub fn apply_to(self, slot: &mut T, cleared: impl FnOnce() -> Result<T>) -> Result<()> {
        match self {
            Patch::Absent => {}
            Patch::Null => *slot = cleared()?,
            Patch::Value(v) => *slot = v,
        }
        Ok(())
    }
}
