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
    /// The tombstone of `factor`, deleted at `now`, over an earlier tombstone of it (whose
    /// guard it keeps too).
    pub fn of(factor: &Factor, earlier: Option<&Tombstone>, now: u64) -> Tombstone {
        let guard = earlier.map_or(factor.guard(), |t| t.guard.max(factor.guard()));
        Tombstone { sid: factor.sid, identity: factor.identity, date_created: now, version: 1, guard }
    }

    /// Whether `sweep` may remove it at `now`.
    pub fn expired(&self, now: u64) -> bool {
        now.saturating_sub(self.date_created) >= TOMBSTONE_SECONDS
    }
}
