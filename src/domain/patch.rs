//! Reading a change as a client sends it: a field left out stays as stored, a field sent
//! replaces it (a list whole), and `null` clears a field that may be empty.

use serde::{Deserialize, Deserializer};

/// With `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field, tells
/// an absent field (`None`: leave as is) from an explicit `null` (`Some(None)`: clear it).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Deserialize::deserialize(deserializer).map(Some)
}

/// With `#[serde(default, deserialize_with = "list")]` on an `Option<Vec<T>>` field: an absent
/// list stays as stored, a list sent replaces it whole, and `null` is refused (send `[]`).
pub fn list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Vec::<T>::deserialize(deserializer).map(Some)
}

/// Lays a change over a stored value: `Some` replaces it, `None` leaves it.
pub fn set<T>(field: &mut T, change: Option<T>) {
    if let Some(value) = change {
        *field = value;
    }
}
