//! The one error type of watchword. The C status codes, the Python exception classes and the
//! Node errors are all derived from [`ErrorKind`].

use core::fmt;

/// What kind of failure an [`Error`] is. The numbering is stable (it is the C ABI's error
/// number) and never changes; new kinds are only appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A parameter is malformed or out of range.
    InvalidParameter = 1,
    /// No entity has that identity.
    EntityNotFound = 2,
    /// No factor has that sid (for that identity).
    FactorNotFound = 3,
    /// No challenge has that sid (for that identity).
    ChallengeNotFound = 4,
    /// An entity with that identity already exists.
    EntityAlreadyExists = 5,
    /// The entity already has the maximum number of factors.
    FactorLimitReached = 6,
    /// Too many factors were created for the entity in the last 24 hours.
    FactorCreationRateLimited = 7,
    /// The factor must be verified first.
    FactorNotVerified = 8,
    /// The factor is in a status that does not allow the operation.
    IllegalFactorStatus = 9,
    /// The factor's enrollment attempts are used up.
    FactorVerificationAttemptsReached = 10,
    /// Too many challenges were created for the factor.
    ChallengeCreationLimitReached = 11,
    /// The challenge's attempts are used up.
    ChallengeAttemptsReached = 12,
    /// The challenge was already approved or denied.
    ChallengeAlreadyResponded = 13,
    /// The challenge expired.
    ChallengeExpired = 14,
    /// The factor is locked after too many consecutive failures.
    FactorLocked = 15,
    /// The record changed underneath (a lost compare-and-set race); retry.
    Conflict = 16,
    /// The host's store failed.
    Storage = 17,
}

impl ErrorKind {
    /// Every kind, in numbering order.
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::InvalidParameter,
        ErrorKind::EntityNotFound,
        ErrorKind::FactorNotFound,
        ErrorKind::ChallengeNotFound,
        ErrorKind::EntityAlreadyExists,
        ErrorKind::FactorLimitReached,
        ErrorKind::FactorCreationRateLimited,
        ErrorKind::FactorNotVerified,
        ErrorKind::IllegalFactorStatus,
        ErrorKind::FactorVerificationAttemptsReached,
        ErrorKind::ChallengeCreationLimitReached,
        ErrorKind::ChallengeAttemptsReached,
        ErrorKind::ChallengeAlreadyResponded,
        ErrorKind::ChallengeExpired,
        ErrorKind::FactorLocked,
        ErrorKind::Conflict,
        ErrorKind::Storage,
    ];

    /// The stable snake_case name (`"challenge_expired"`).
    ///
    /// ```
    /// assert_eq!(watchword_core::ErrorKind::ChallengeExpired.as_str(), "challenge_expired");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::EntityNotFound => "entity_not_found",
            ErrorKind::FactorNotFound => "factor_not_found",
            ErrorKind::ChallengeNotFound => "challenge_not_found",
            ErrorKind::EntityAlreadyExists => "entity_already_exists",
            ErrorKind::FactorLimitReached => "factor_limit_reached",
            ErrorKind::FactorCreationRateLimited => "factor_creation_rate_limited",
            ErrorKind::FactorNotVerified => "factor_not_verified",
            ErrorKind::IllegalFactorStatus => "illegal_factor_status",
            ErrorKind::FactorVerificationAttemptsReached => "factor_verification_attempts_reached",
            ErrorKind::ChallengeCreationLimitReached => "challenge_creation_limit_reached",
            ErrorKind::ChallengeAttemptsReached => "challenge_attempts_reached",
            ErrorKind::ChallengeAlreadyResponded => "challenge_already_responded",
            ErrorKind::ChallengeExpired => "challenge_expired",
            ErrorKind::FactorLocked => "factor_locked",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Storage => "storage",
        }
    }

    /// The kind with the given stable name.
    ///
    /// ```
    /// use watchword_core::ErrorKind;
    /// assert_eq!(ErrorKind::from_name("conflict"), Some(ErrorKind::Conflict));
    /// ```
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The Twilio error code, where Twilio has one (invalid parameters: the generic 60300;
    /// [`Error::twilio_code`] refines it per parameter).
    ///
    /// ```
    /// assert_eq!(watchword_core::ErrorKind::ChallengeExpired.twilio_code(), Some(60323));
    /// ```
    pub const fn twilio_code(self) -> Option<u32> {
        Some(match self {
            ErrorKind::InvalidParameter => 60300,
            ErrorKind::EntityNotFound => 60392,
            ErrorKind::FactorNotFound => 60390,
            ErrorKind::ChallengeNotFound => 60391,
            ErrorKind::EntityAlreadyExists => 60301,
            ErrorKind::FactorLimitReached => 60315,
            ErrorKind::FactorCreationRateLimited => 60326,
            ErrorKind::FactorNotVerified => 60318,
            ErrorKind::IllegalFactorStatus => 60383,
            ErrorKind::FactorVerificationAttemptsReached => 60310,
            ErrorKind::ChallengeCreationLimitReached => 60312,
            ErrorKind::ChallengeAttemptsReached => 60308,
            ErrorKind::ChallengeAlreadyResponded => 60322,
            ErrorKind::ChallengeExpired => 60323,
            ErrorKind::FactorLocked | ErrorKind::Conflict | ErrorKind::Storage => return None,
        })
    }

    /// The HTTP status an API should answer with.
    ///
    /// ```
    /// assert_eq!(watchword_core::ErrorKind::FactorLocked.http_status(), 429);
    /// ```
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidParameter | ErrorKind::FactorLimitReached => 400,
            ErrorKind::EntityNotFound | ErrorKind::FactorNotFound | ErrorKind::ChallengeNotFound => 404,
            ErrorKind::EntityAlreadyExists | ErrorKind::Conflict => 409,
            ErrorKind::FactorCreationRateLimited
            | ErrorKind::FactorVerificationAttemptsReached
            | ErrorKind::ChallengeCreationLimitReached
            | ErrorKind::ChallengeAttemptsReached
            | ErrorKind::FactorLocked => 429,
            ErrorKind::FactorNotVerified
            | ErrorKind::IllegalFactorStatus
            | ErrorKind::ChallengeAlreadyResponded
            | ErrorKind::ChallengeExpired => 403,
            ErrorKind::Storage => 500,
        }
    }

    /// The Okta error code, where Okta has one.
    ///
    /// ```
    /// assert_eq!(watchword_core::ErrorKind::FactorLocked.okta_code(), Some("E0000069"));
    /// ```
    pub const fn okta_code(self) -> Option<&'static str> {
        match self {
            ErrorKind::InvalidParameter => Some("E0000001"),
            ErrorKind::EntityNotFound | ErrorKind::FactorNotFound | ErrorKind::ChallengeNotFound => Some("E0000007"),
            ErrorKind::FactorCreationRateLimited
            | ErrorKind::FactorVerificationAttemptsReached
            | ErrorKind::ChallengeAttemptsReached => Some("E0000047"),
            ErrorKind::IllegalFactorStatus => Some("E0000154"),
            ErrorKind::FactorLocked => Some("E0000069"),
            _ => None,
        }
    }

    /// The stable number of this kind (the C ABI's status for it).
    pub const fn code(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an illegal-factor-status error (60383) happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FactorStatusProblem {
    /// The factor is already verified; enrollment verification happens once.
    AlreadyVerified,
    /// The factor stayed unverified past its lifetime.
    Expired,
}

/// What exactly is wrong with an invalid parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Code length outside 3–10.
    Digits {
        /// The value given.
        value: u32,
    },
    /// Period outside 1–86400 seconds.
    Period {
        /// The value given.
        value: u64,
    },
    /// Skew above 10 steps.
    Skew {
        /// The value given.
        value: u32,
    },
    /// HOTP look-ahead above 1000.
    LookAhead {
        /// The value given.
        value: u64,
    },
    /// Secret length outside the accepted range.
    SecretLength {
        /// The length given, in bytes.
        len: usize,
        /// The smallest accepted length.
        min: usize,
        /// The largest accepted length.
        max: usize,
    },
    /// A time before the TOTP epoch `t0`.
    TimeBeforeT0 {
        /// The time given.
        time: u64,
        /// The TOTP epoch.
        t0: u64,
    },
    /// An algorithm name other than SHA1, SHA256 or SHA512.
    Algorithm,
    /// A character outside the Base32 alphabet (position counts characters from 1). The
    /// character itself is not kept: it is part of a secret.
    Base32Character {
        /// The position of the character, counting from 1.
        position: usize,
    },
    /// A Base32 text whose length cannot come from whole bytes.
    Base32Length {
        /// The number of alphabet characters.
        chars: usize,
    },
    /// An output buffer is too small.
    BufferTooSmall {
        /// The size needed.
        needed: usize,
    },
    /// The URI does not start with `otpauth://`.
    UriScheme,
    /// The URI's type is neither `totp` nor `hotp`.
    UriType,
    /// The URI has no account name in its label.
    UriLabel,
    /// An issuer or account name contains a colon.
    UriColon {
        /// `"issuer"` or `"account"`.
        field: &'static str,
    },
    /// The `issuer` parameter differs from the label's issuer prefix.
    UriIssuerMismatch,
    /// The URI has no `secret` parameter.
    UriMissingSecret,
    /// The URI's `algorithm` is not SHA1, SHA256 or SHA512.
    UriAlgorithm,
    /// The URI's `digits` is not a number from 3 to 10.
    UriDigits,
    /// The URI's `period` is not a number from 1 to 86400.
    UriPeriod,
    /// An `hotp` URI without a valid `counter`.
    UriCounter,
    /// Malformed percent-encoding, or text that is not UTF-8.
    UriEncoding,
    /// A parameter appears twice.
    UriDuplicate,
    /// A service or request parameter is out of its allowed range.
    Parameter {
        /// The parameter's name, as the API spells it (`code_length`, `identity` …).
        name: &'static str,
        /// What is allowed.
        expected: &'static str,
    },
    /// A service or request argument of the wrong type (a number where a string is
    /// expected …). Surfaces with types of their own report it as their type error
    /// (`TypeError` in Python and JavaScript); its `detail` is `"parameter"` too.
    Type {
        /// The argument's name, as the API spells it.
        name: &'static str,
        /// What is allowed.
        expected: &'static str,
    },
    /// A stored record is malformed, of an unknown version, or tampered with.
    Record {
        /// The field at fault (`"v"` for the format version).
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Invalid {
    /// A stable snake_case name of what is wrong (`"base32_character"`, `"uri_missing_secret"`,
    /// `"parameter"` …), exposed on every surface as the error's `detail`.
    ///
    /// ```
    /// use watchword_core::Invalid;
    /// assert_eq!(Invalid::UriMissingSecret.name(), "uri_missing_secret");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            Invalid::Digits { .. } => "digits",
            Invalid::Period { .. } => "period",
            Invalid::Skew { .. } => "skew",
            Invalid::LookAhead { .. } => "look_ahead",
            Invalid::SecretLength { .. } => "secret_length",
            Invalid::TimeBeforeT0 { .. } => "time_before_t0",
            Invalid::Algorithm => "algorithm",
            Invalid::Base32Character { .. } => "base32_character",
            Invalid::Base32Length { .. } => "base32_length",
            Invalid::BufferTooSmall { .. } => "buffer_too_small",
            Invalid::UriScheme => "uri_scheme",
            Invalid::UriType => "uri_type",
            Invalid::UriLabel => "uri_label",
            Invalid::UriColon { .. } => "uri_colon",
            Invalid::UriIssuerMismatch => "uri_issuer_mismatch",
            Invalid::UriMissingSecret => "uri_missing_secret",
            Invalid::UriAlgorithm => "uri_algorithm",
            Invalid::UriDigits => "uri_digits",
            Invalid::UriPeriod => "uri_period",
            Invalid::UriCounter => "uri_counter",
            Invalid::UriEncoding => "uri_encoding",
            Invalid::UriDuplicate => "uri_duplicate",
            Invalid::Parameter { .. } | Invalid::Type { .. } => "parameter",
            Invalid::Record { .. } => "record",
        }
    }
}

/// Every failure in watchword. A wrong one-time code is never an error: verification
/// reports it as a result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is malformed or out of range.
    InvalidParameter(Invalid),
    /// No entity has that identity.
    EntityNotFound,
    /// No factor has that sid (for that identity).
    FactorNotFound,
    /// No challenge has that sid (for that identity).
    ChallengeNotFound,
    /// An entity with that identity already exists.
    EntityAlreadyExists,
    /// The entity already has the maximum number of factors.
    FactorLimitReached,
    /// Too many factors were created for the entity in the last 24 hours.
    FactorCreationRateLimited,
    /// The factor must be verified first.
    FactorNotVerified,
    /// The factor's status does not allow the operation.
    IllegalFactorStatus(FactorStatusProblem),
    /// The factor's enrollment attempts are used up.
    FactorVerificationAttemptsReached,
    /// Too many challenges were created for the factor.
    ChallengeCreationLimitReached,
    /// The challenge's attempts are used up.
    ChallengeAttemptsReached,
    /// The challenge was already approved or denied.
    ChallengeAlreadyResponded,
    /// The challenge expired.
    ChallengeExpired,
    /// The factor is locked after too many consecutive failures.
    FactorLocked {
        /// Unix time the lock ends; `None` when it lasts until an explicit unlock.
        until: Option<u64>,
    },
    /// The record changed underneath (a lost compare-and-set race); retry.
    Conflict,
    /// The store failed: the cause in words (never a password, a URL or a secret).
    Storage(StorageCause),
}

/// The cause of a [`Error::Storage`] failure: an owned message with `alloc` (database drivers
/// name what went wrong at run time), a fixed one without.
#[cfg(feature = "alloc")]
pub type StorageCause = alloc::borrow::Cow<'static, str>;
/// The cause of a [`Error::Storage`] failure: an owned message with `alloc` (database drivers
/// name what went wrong at run time), a fixed one without.
#[cfg(not(feature = "alloc"))]
pub type StorageCause = &'static str;

impl Error {
    /// A storage failure with this cause.
    ///
    /// ```
    /// let e = watchword_core::Error::storage("disk full");
    /// assert_eq!(e.to_string(), "the store failed: disk full");
    /// ```
    #[cfg(feature = "alloc")]
    pub fn storage(cause: impl Into<StorageCause>) -> Error {
        Error::Storage(cause.into())
    }
}

impl Error {
    /// The kind of this error.
    ///
    /// ```
    /// use watchword_core::{Error, ErrorKind};
    /// assert_eq!(Error::ChallengeExpired.kind(), ErrorKind::ChallengeExpired);
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidParameter(_) => ErrorKind::InvalidParameter,
            Error::EntityNotFound => ErrorKind::EntityNotFound,
            Error::FactorNotFound => ErrorKind::FactorNotFound,
            Error::ChallengeNotFound => ErrorKind::ChallengeNotFound,
            Error::EntityAlreadyExists => ErrorKind::EntityAlreadyExists,
            Error::FactorLimitReached => ErrorKind::FactorLimitReached,
            Error::FactorCreationRateLimited => ErrorKind::FactorCreationRateLimited,
            Error::FactorNotVerified => ErrorKind::FactorNotVerified,
            Error::IllegalFactorStatus(_) => ErrorKind::IllegalFactorStatus,
            Error::FactorVerificationAttemptsReached => ErrorKind::FactorVerificationAttemptsReached,
            Error::ChallengeCreationLimitReached => ErrorKind::ChallengeCreationLimitReached,
            Error::ChallengeAttemptsReached => ErrorKind::ChallengeAttemptsReached,
            Error::ChallengeAlreadyResponded => ErrorKind::ChallengeAlreadyResponded,
            Error::ChallengeExpired => ErrorKind::ChallengeExpired,
            Error::FactorLocked { .. } => ErrorKind::FactorLocked,
            Error::Conflict => ErrorKind::Conflict,
            Error::Storage(_) => ErrorKind::Storage,
        }
    }

    /// The Twilio error code. Invalid parameters are refined: `identity` → 60367, factor
    /// `config` → 60370, other request parameters → 60306, malformed OTP input → 60300.
    ///
    /// ```
    /// use watchword_core::{Error, Invalid};
    /// let e = Error::InvalidParameter(Invalid::Parameter { name: "identity", expected: "8-64 characters" });
    /// assert_eq!(e.twilio_code(), Some(60367));
    /// ```
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            Error::InvalidParameter(Invalid::Parameter { name, .. } | Invalid::Type { name, .. }) => {
                Some(if *name == "identity" {
                    60367
                } else if name.starts_with("config.") {
                    60370
                } else {
                    60306
                })
            }
            other => other.kind().twilio_code(),
        }
    }

    /// What exactly is wrong, for invalid parameters ([`Invalid::name`]).
    pub const fn detail(&self) -> Option<&'static str> {
        match self {
            Error::InvalidParameter(invalid) => Some(invalid.name()),
            _ => None,
        }
    }

    /// The argument an invalid-parameter error is about, as the operations and settings take
    /// it (`identity`, `skew`, `expiration_date` …; a factor's `config.skew` is the `skew`
    /// argument); `None` for other errors and for malformed OTP input (see [`Error::detail`]).
    /// Surfaces report it in their own spelling (camelCase in JavaScript).
    ///
    /// ```
    /// use watchword_core::service::ServiceConfig;
    /// let err = ServiceConfig::from_json(r#"{"issuer": "Acme", "skew": 3}"#).unwrap_err();
    /// assert_eq!(err.parameter(), Some("skew"));
    /// ```
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Error::InvalidParameter(Invalid::Parameter { name, .. } | Invalid::Type { name, .. }) => {
                Some(name.strip_prefix("config.").unwrap_or(name))
            }
            _ => None,
        }
    }

    /// Whether this is an argument of the wrong type ([`Invalid::Type`]).
    pub const fn is_type_error(&self) -> bool {
        matches!(self, Error::InvalidParameter(Invalid::Type { .. }))
    }

    /// The HTTP status an API should answer with.
    pub const fn http_status(&self) -> u16 {
        self.kind().http_status()
    }

    /// The Okta error code, where Okta has one.
    pub const fn okta_code(&self) -> Option<&'static str> {
        self.kind().okta_code()
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Digits { value } => write!(f, "digits must be from 3 to 10, not {value}"),
            Invalid::Period { value } => write!(f, "period must be from 1 to 86400 seconds, not {value}"),
            Invalid::Skew { value } => write!(f, "skew must be from 0 to 10 steps, not {value}"),
            Invalid::LookAhead { value } => write!(f, "look_ahead must be from 0 to 1000, not {value}"),
            Invalid::SecretLength { len, min, max } => {
                write!(f, "the secret must be {min} to {max} bytes long, not {len}")
            }
            Invalid::TimeBeforeT0 { time, t0 } => {
                write!(f, "time {time} is before the TOTP epoch t0 = {t0}; pass a time at or after t0")
            }
            Invalid::Algorithm => f.write_str("algorithm must be sha1, sha256 or sha512"),
            Invalid::Base32Character { position } => {
                write!(f, "invalid Base32: the character at position {position} is not in the alphabet A-Z, 2-7")
            }
            Invalid::Base32Length { chars } => {
                write!(f, "invalid Base32: {chars} characters cannot encode whole bytes (the secret looks truncated)")
            }
            Invalid::BufferTooSmall { needed } => write!(f, "the output buffer must hold at least {needed} bytes"),
            Invalid::UriScheme => f.write_str("a key URI must start with otpauth://"),
            Invalid::UriType => f.write_str("a key URI's type must be totp or hotp"),
            Invalid::UriLabel => f.write_str("a key URI's label must name the account (issuer:account)"),
            Invalid::UriColon { field } => write!(f, "the {field} must not contain a colon"),
            Invalid::UriIssuerMismatch => {
                f.write_str("the issuer parameter differs from the issuer prefix of the label; they must be equal")
            }
            Invalid::UriMissingSecret => f.write_str("the key URI has no secret parameter"),
            Invalid::UriAlgorithm => f.write_str("the key URI's algorithm must be SHA1, SHA256 or SHA512"),
            Invalid::UriDigits => f.write_str("the key URI's digits must be a number from 3 to 10"),
            Invalid::UriPeriod => f.write_str("the key URI's period must be a number from 1 to 86400"),
            Invalid::UriCounter => f.write_str("an hotp key URI needs a counter parameter (a non-negative integer)"),
            Invalid::UriEncoding => f.write_str("the key URI has malformed percent-encoding or text that is not UTF-8"),
            Invalid::UriDuplicate => f.write_str("a parameter appears twice in the key URI"),
            Invalid::Parameter { name, expected } | Invalid::Type { name, expected } => {
                write!(f, "invalid {name}: expected {expected}")
            }
            Invalid::Record { field, problem } => write!(f, "invalid stored record: field {field:?} {problem}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter(invalid) => invalid.fmt(f),
            Error::EntityNotFound => {
                f.write_str("entity not found: create a factor or the entity for this identity first")
            }
            Error::FactorNotFound => {
                f.write_str("factor not found for this identity: it was deleted, swept, or never existed")
            }
            Error::ChallengeNotFound => f.write_str("challenge not found for this identity"),
            Error::EntityAlreadyExists => f.write_str("an entity with this identity already exists: fetch it instead"),
            Error::FactorLimitReached => f.write_str("the entity has the maximum number of factors: delete one first"),
            Error::FactorCreationRateLimited => {
                f.write_str("too many factors were created for this entity in the last 24 hours: try again later")
            }
            Error::FactorNotVerified => f.write_str("the factor is unverified: verify it with a code first"),
            Error::IllegalFactorStatus(FactorStatusProblem::AlreadyVerified) => {
                f.write_str("the factor is already verified: create a challenge to check a code")
            }
            Error::IllegalFactorStatus(FactorStatusProblem::Expired) => f.write_str(
                "the factor stayed unverified past its lifetime and can no longer be used: create a new factor",
            ),
            Error::FactorVerificationAttemptsReached => {
                f.write_str("the factor's verification attempts are used up: create a new factor and verify that one")
            }
            Error::ChallengeCreationLimitReached => {
                f.write_str("too many challenges were created for this factor: wait, or enroll a new factor")
            }
            Error::ChallengeAttemptsReached => {
                f.write_str("the challenge's attempts are used up: create a new challenge")
            }
            Error::ChallengeAlreadyResponded => {
                f.write_str("the challenge was already responded to: create a new challenge")
            }
            Error::ChallengeExpired => f.write_str("the challenge expired: create a new challenge"),
            Error::FactorLocked { until: Some(t) } => {
                write!(f, "the factor is locked after too many failed codes until Unix time {t}: try again after that")
            }
            Error::FactorLocked { until: None } => {
                f.write_str("the factor is locked after too many failed codes until it is unlocked by an administrator")
            }
            Error::Conflict => f.write_str("the record changed while it was being updated: retry the operation"),
            Error::Storage(message) => write!(f, "the store failed: {message}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
