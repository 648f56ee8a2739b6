//! Identifiers and time.
//!
//! Every entity is named by a newtype around a UUID so that a user id can never be
//! passed where an organisation id is expected. The core never creates ids or reads
//! a clock: the caller passes both in through [`crate::Context`], which is what keeps
//! the browser's answers identical to the server's.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Picks the shard of a [`crate::world::cow_map::CowMap`] for a key.
pub trait ShardKey {
    /// Sixteen well-mixed bits derived from the key: the top byte picks a
    /// map's shard, the low bits a [`crate::world::cow_map::SplitCowMap`]'s part of it.
    fn shard_hash(&self) -> u16;
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Builds an id from its 128-bit value (used by generators and tests).
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }
        }

        impl ShardKey for $name {
            fn shard_hash(&self) -> u16 {
                shard_hash_of(&self.0)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "_{}"), self.0.simple())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// Mixes all sixteen bytes, so that ids built from small counters spread as well as
/// random ones.
fn shard_hash_of(uuid: &Uuid) -> u16 {
    let value = uuid.as_u128();
    let folded = (value as u64) ^ ((value >> 64) as u64);
    // A multiplicative hash; the top bits are the best mixed.
    (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as u16
}

id_type!(
    /// An environment (tenant).
    EnvironmentId, "env");
id_type!(
    /// A user of one environment.
    UserId, "usr");
id_type!(
    /// An organisation (legal entity) of one environment.
    OrganisationId, "org");
id_type!(
    /// A document's metadata record.
    DocumentId, "doc");
id_type!(
    /// A group of users.
    GroupId, "grp");
id_type!(
    /// A partnership between two environments.
    PartnershipId, "pts");
id_type!(
    /// An authorisation request or a manual partnership proposal.
    RequestId, "req");
id_type!(
    /// An approval task.
    TaskId, "tsk");
id_type!(
    /// A connection key issued for an organisation.
    KeyId, "key");
id_type!(
    /// An invitation of a new user into an environment.
    InvitationId, "inv");

impl<A: ShardKey, B: ShardKey> ShardKey for (A, B) {
    fn shard_hash(&self) -> u16 {
        self.0.shard_hash() ^ self.1.shard_hash().rotate_left(3)
    }
}

impl ShardKey for String {
    fn shard_hash(&self) -> u16 {
        // FNV-1a folded to sixteen bits: strings are only used as keys of small
        // indexes.
        let mut hash: u32 = 0x811c_9dc5;
        for byte in self.as_bytes() {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        (hash ^ (hash >> 16)) as u16
    }
}

/// A point in time, in milliseconds since the Unix epoch (UTC). Passed in by the caller.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The calendar date and time, `YYYY-MM-DD HH:MM` in UTC.
    pub fn to_utc_string(self) -> String {
        let seconds = self.0.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}",
            second_of_day / 3600,
            (second_of_day % 3600) / 60
        )
    }

    /// The calendar date, `YYYY-MM-DD` in UTC.
    pub fn to_date_string(self) -> String {
        let days = self.0.div_euclid(1000).div_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!("{year:04}-{month:02}-{day:02}")
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_utc_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_utc_string())
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A SHA-256 digest, shown and serialised as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Digests `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        String::from_utf8_lossy(&self.hex_digits()).into_owned()
    }

    /// The 64 lowercase hex digits, without allocating.
    fn hex_digits(&self) -> [u8; 64] {
        let digit = |n: u8| if n < 10 { b'0' + n } else { b'a' + n - 10 };
        let mut out = [0u8; 64];
        let nibbles = self.0.iter().flat_map(|byte| [byte >> 4, byte & 0x0f]);
        for (slot, nibble) in out.iter_mut().zip(nibbles) {
            *slot = digit(nibble);
        }
        out
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let digit = |c: u8| -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            }
        };
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let [high, low] = pair else { return None };
            *slot = (digit(*high)? << 4) | digit(*low)?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Hex in a human-readable format (JSON: the API, the event log); the 32 bytes
/// themselves in a binary one (the server's snapshots), where formatting a
/// million digests as text was a third of the time a snapshot took.
impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let digits = self.hex_digits();
            serializer.serialize_str(std::str::from_utf8(&digits).unwrap_or_default())
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Digest;
        impl<'de> serde::de::Visitor<'de> for Digest {
            type Value = Sha256;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a SHA-256 digest: 64 lowercase hex digits")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Sha256, E> {
                Sha256::from_hex(text).ok_or_else(|| E::custom("expected 64 lowercase hex digits"))
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Sha256, E> {
                <[u8; 32]>::try_from(bytes)
                    .map(Sha256)
                    .map_err(|_| E::invalid_length(bytes.len(), &"32 bytes"))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Digest)
        } else {
            // Snapshots written before digests went out as bytes hold hex text;
            // the binary format says which it is.
            deserializer.deserialize_any(Digest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_utc_calendar_dates() {
        assert_eq!(Timestamp(0).to_utc_string(), "1970-01-01 00:00");
        assert_eq!(Timestamp(1_795_000_000_000).to_date_string(), "2026-11-18");
    }

    #[test]
    fn sha256_round_trips_through_hex() {
        let digest = Sha256::of(b"abc");
        assert_eq!(
            digest.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(Sha256::from_hex("xyz"), None);
        assert_eq!(
            Sha256::from_hex(&digest.to_hex().to_uppercase()),
            Some(digest)
        );
        let mut signed = digest.to_hex();
        signed.replace_range(0..1, "+");
        assert_eq!(Sha256::from_hex(&signed), None);
        assert_eq!(
            serde_json::to_string(&digest).ok(),
            Some(format!("\"{}\"", digest.to_hex()))
        );
    }
}
