"""watchword: a TOTP verification engine.

The RFC 4226/6238 one-time-password maths plus the Entity → Factor → Challenge state logic of
a hosted verification service (Twilio Verify TOTP semantics, Okta's stricter results), in
Rust. This package wraps the native module ``watchword._native``.

>>> import watchword
>>> totp = watchword.Totp(b"12345678901234567890", digits=8)
>>> totp.generate(59)
'94287082'
>>> totp.verify("94287082", 89, skew=1)
-1
"""

from ._native import (
    ERROR_KINDS,
    OPERATIONS,
    SETTINGS,
    ChallengeAlreadyResponded,
    ChallengeAttemptsReached,
    ChallengeCreationLimitReached,
    ChallengeExpired,
    ChallengeNotFound,
    Check,
    Conflict,
    EntityAlreadyExists,
    EntityNotFound,
    FactorCreationRateLimited,
    FactorLimitReached,
    FactorLocked,
    FactorNotFound,
    FactorNotVerified,
    FactorVerificationAttemptsReached,
    Hotp,
    IllegalFactorStatus,
    InvalidParameter,
    KeyUri,
    Storage,
    Totp,
    WatchwordError,
    __version__,
    base32_decode,
    base32_encode,
    generate_secret,
    generate_secret_key,
    qr_svg,
    qr_terminal,
)
from ._store import AsyncStore, Store, Write
from ._service import (
    Binding,
    Challenge,
    ChallengeDetails,
    DetailField,
    Entity,
    Factor,
    FactorConfig,
    Page,
    Time,
    Verify,
)

__all__ = [
    "AsyncStore",
    "ERROR_KINDS",
    "OPERATIONS",
    "SETTINGS",
    "Binding",
    "Challenge",
    "ChallengeAlreadyResponded",
    "ChallengeAttemptsReached",
    "ChallengeCreationLimitReached",
    "ChallengeDetails",
    "ChallengeExpired",
    "ChallengeNotFound",
    "Check",
    "Conflict",
    "DetailField",
    "Entity",
    "EntityAlreadyExists",
    "EntityNotFound",
    "Factor",
    "FactorConfig",
    "FactorCreationRateLimited",
    "FactorLimitReached",
    "FactorLocked",
    "FactorNotFound",
    "FactorNotVerified",
    "FactorVerificationAttemptsReached",
    "Hotp",
    "IllegalFactorStatus",
    "InvalidParameter",
    "KeyUri",
    "Page",
    "Storage",
    "Store",
    "Time",
    "Totp",
    "Verify",
    "Write",
    "WatchwordError",
    "__version__",
    "base32_decode",
    "base32_encode",
    "generate_secret",
    "generate_secret_key",
    "qr_svg",
    "qr_terminal",
]
