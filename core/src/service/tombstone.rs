//! The tombstone a deleted factor leaves: what the factor must never lose (its [`Guard`]),
//! kept for ten minutes — longer than any code stays valid — so that importing an old copy of
//! the factor right after deleting it cannot re-open a code accepted since (SPEC §7).

use super::{Factor, Guard, Identity, Sid};

/// How long a tombstone is kept, in seconds; `sweep` removes older ones.
pub const TOMBSTONE_SECONDS: u64 = 600;

/// A deleted factor's guard (key: the factor's sid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The deleted factor's sid.
    pub sid: Sid,
    /// Its identity.
    pub identity: Identity,
    /// Unix seconds of the deletion.
    pub date_created: u64,
    /// Raised by one on every change; the store's compare-and-set key.
    pub version: u64,
    /// What an import of the factor must not lower.
    pub guard: Guard,
}

impl Tombstone {
    /// The tombstone of `factor`, deleted at `now`. It replaces an earlier tombstone of the
    /// factor: the factor was imported over that one and raised to it then, and an unlock
    /// since must stand.
    pub fn of(factor: &Factor, now: u64) -> Tombstone {
        Tombstone { sid: factor.sid, identity: factor.identity, date_created: now, version: 1, guard: factor.guard() }
    }

    /// Whether `sweep` may remove it at `now`.
    pub fn expired(&self, now: u64) -> bool {
        now.saturating_sub(self.date_created) >= TOMBSTONE_SECONDS
    }
}
