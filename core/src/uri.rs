//! `otpauth://` key URIs (the Google Authenticator Key URI format, as Twilio emits it).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::error::{Error, Invalid};
use crate::{Algorithm, Secret, MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, MIN_PERIOD};

/// Whether a key URI describes a time-based or a counter-based key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpKind {
    /// `otpauth://totp/…` (RFC 6238).
    Totp,
    /// `otpauth://hotp/…` (RFC 4226).
    Hotp,
}

impl OtpKind {
    /// `"totp"` or `"hotp"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OtpKind::Totp => "totp",
            OtpKind::Hotp => "hotp",
        }
    }
}

/// A parsed or to-be-built `otpauth://` key URI.
///
/// ```
/// use watchword_core::{KeyUri, OtpKind};
/// let uri = KeyUri::parse(
///     "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&image=x",
/// )
/// .unwrap();
/// assert_eq!(uri.kind, OtpKind::Totp);
/// assert_eq!(uri.issuer.as_deref(), Some("ACME Co"));
/// assert_eq!(uri.account, "john.doe@email.com");
/// assert_eq!((uri.digits, uri.period), (6, 30));
/// assert_eq!(uri.extra, vec![("image".to_string(), "x".to_string())]);
/// assert_eq!(KeyUri::parse(&uri.to_uri().unwrap()).unwrap(), uri);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUri {
    /// `totp` or `hotp`.
    pub kind: OtpKind,
    /// The issuer (service name), if any. Never contains a colon.
    pub issuer: Option<String>,
    /// The account name. Never contains a colon, never empty.
    pub account: String,
    /// The shared secret.
    pub secret: Secret,
    /// The HMAC hash.
    pub algorithm: Algorithm,
    /// Code length, 3–10.
    pub digits: u32,
    /// TOTP period in seconds, 1–86400 (30 for HOTP URIs, where it is not emitted).
    pub period: u64,
    /// HOTP initial counter (`None` for TOTP URIs).
    pub counter: Option<u64>,
    /// Parameters this format does not define (e.g. `image`), kept in order, decoded.
    pub extra: Vec<(String, String)>,
}

impl KeyUri {
    /// A TOTP key URI with the default settings (SHA1, 6 digits, 30 s).
    ///
    /// ```
    /// use watchword_core::{KeyUri, Secret};
    /// let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    /// let uri = KeyUri::totp(Some("test-issuer"), "John’s Account Name", secret);
    /// assert_eq!(
    ///     uri.to_uri().unwrap(),
    ///     "otpauth://totp/test-issuer:John%E2%80%99s%20Account%20Name?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=test-issuer&algorithm=SHA1&digits=6&period=30"
    /// );
    /// ```
    pub fn totp(issuer: Option<&str>, account: &str, secret: Secret) -> KeyUri {
        KeyUri {
            kind: OtpKind::Totp,
            issuer: issuer.map(String::from),
            account: String::from(account),
            secret,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            counter: None,
            extra: Vec::new(),
        }
    }

    /// Builds the URI text: `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=…&digits=…&period=…`
    /// (HOTP: `counter=` instead of `period=`), then any extra parameters. Label and values are
    /// percent-encoded UTF-8; RFC 3986 unreserved characters stay literal.
    pub fn to_uri(&self) -> Result<String, Error> {
        if let Some(issuer) = &self.issuer {
            if issuer.contains(':') {
                return Err(Error::InvalidParameter(Invalid::UriColon { field: "issuer" }));
            }
            if issuer.is_empty() {
                // An empty issuer would vanish from the URI: say `None` instead.
                return Err(Error::InvalidParameter(Invalid::Parameter {
                    name: "issuer",
                    expected: "a non-empty issuer, or none",
                }));
            }
        }
        if self.account.contains(':') {
            return Err(Error::InvalidParameter(Invalid::UriColon { field: "account" }));
        }
        if self.account.is_empty() || self.account.starts_with(' ') {
            return Err(Error::InvalidParameter(Invalid::UriLabel));
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&self.digits) {
            return Err(Error::InvalidParameter(Invalid::UriDigits));
        }
        if self.kind == OtpKind::Totp && !(MIN_PERIOD..=MAX_PERIOD).contains(&self.period) {
            return Err(Error::InvalidParameter(Invalid::UriPeriod));
        }
        let counter = match (self.kind, self.counter) {
            (OtpKind::Hotp, None) => return Err(Error::InvalidParameter(Invalid::UriCounter)),
            (_, c) => c,
        };
        let mut out = String::with_capacity(128);
        out.push_str("otpauth://");
        out.push_str(self.kind.as_str());
        out.push('/');
        if let Some(issuer) = &self.issuer {
            encode(&mut out, issuer);
            out.push(':');
        }
        encode(&mut out, &self.account);
        out.push_str("?secret=");
        out.push_str(&self.secret.to_base32());
        if let Some(issuer) = &self.issuer {
            out.push_str("&issuer=");
            encode(&mut out, issuer);
        }
        let _ = write!(out, "&algorithm={}&digits={}", self.algorithm.uri_name(), self.digits);
        match (self.kind, counter) {
            (OtpKind::Hotp, Some(c)) => {
                let _ = write!(out, "&counter={c}");
            }
            _ => {
                let _ = write!(out, "&period={}", self.period);
            }
        }
        for (key, value) in &self.extra {
            out.push('&');
            encode(&mut out, key);
            out.push('=');
            encode(&mut out, value);
        }
        Ok(out)
    }

    /// Parses a key URI. Accepts `totp` and `hotp` (case-insensitive), a label
    /// `issuer:account` with a literal or `%3A` colon and optional spaces before the account,
    /// the issuer from the parameter or else the label prefix, `+` as a space in parameter
    /// values, and keeps unknown parameters in [`KeyUri::extra`]. Every malformed part has
    /// its own [`Invalid`] variant.
    pub fn parse(text: &str) -> Result<KeyUri, Error> {
        let invalid = |i| Error::InvalidParameter(i);
        let rest = strip_prefix_ignore_case(text, "otpauth://").ok_or(invalid(Invalid::UriScheme))?;
        let Some((kind_text, rest)) = rest.split_once('/') else {
            // `otpauth://totp?secret=…`: the type is right, the label is missing.
            let kind_text = rest.split_once('?').map_or(rest, |(kind, _)| kind);
            let known = kind_text.eq_ignore_ascii_case("totp") || kind_text.eq_ignore_ascii_case("hotp");
            return Err(invalid(if known { Invalid::UriLabel } else { Invalid::UriType }));
        };
        let kind = if kind_text.eq_ignore_ascii_case("totp") {
            OtpKind::Totp
        } else if kind_text.eq_ignore_ascii_case("hotp") {
            OtpKind::Hotp
        } else {
            return Err(invalid(Invalid::UriType));
        };
        let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
        let label = decode(label, false)?;
        let (prefix, account) = match label.split_once(':') {
            Some((issuer, account)) => (Some(issuer), account.trim_start_matches(' ')),
            None => (None, label.as_str()),
        };
        if account.contains(':') {
            return Err(invalid(Invalid::UriColon { field: "account" }));
        }
        if account.is_empty() {
            return Err(invalid(Invalid::UriLabel));
        }

        let mut secret = None;
        let mut issuer = None;
        let mut algorithm = None;
        let mut digits = None;
        let mut period = None;
        let mut counter = None;
        let mut extra = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key, true)?;
            let value = decode(value, true)?;
            let slot = match key.to_ascii_lowercase().as_str() {
                "secret" => &mut secret,
                "issuer" => &mut issuer,
                "algorithm" => &mut algorithm,
                "digits" => &mut digits,
                "period" if kind == OtpKind::Totp => &mut period,
                "counter" if kind == OtpKind::Hotp => &mut counter,
                _ => {
                    extra.push((key, value));
                    continue;
                }
            };
            if slot.replace(value).is_some() {
                return Err(invalid(Invalid::UriDuplicate));
            }
        }

        let issuer = match (issuer.filter(|i| !i.is_empty()), prefix) {
            (Some(param), Some(prefix)) if param != prefix => return Err(invalid(Invalid::UriIssuerMismatch)),
            (Some(param), _) => Some(param),
            (None, prefix) => prefix.map(String::from),
        };
        if issuer.as_deref().is_some_and(|i| i.contains(':')) {
            return Err(invalid(Invalid::UriColon { field: "issuer" }));
        }
        let secret = Secret::from_base32(&secret.ok_or(invalid(Invalid::UriMissingSecret))?)?;
        let algorithm = match algorithm {
            None => Algorithm::Sha1,
            Some(a) => a.parse().map_err(|_| invalid(Invalid::UriAlgorithm))?,
        };
        let digits = match digits {
            None => 6,
            Some(d) => parse_number(&d)
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| (MIN_DIGITS..=MAX_DIGITS).contains(d))
                .ok_or(invalid(Invalid::UriDigits))?,
        };
        let period = match period {
            None => 30,
            Some(p) => {
                parse_number(&p).filter(|p| (MIN_PERIOD..=MAX_PERIOD).contains(p)).ok_or(invalid(Invalid::UriPeriod))?
            }
        };
        let counter = match (kind, counter) {
            (OtpKind::Totp, _) => None,
            (OtpKind::Hotp, None) => return Err(invalid(Invalid::UriCounter)),
            (OtpKind::Hotp, Some(c)) => Some(parse_number(&c).ok_or(invalid(Invalid::UriCounter))?),
        };
        Ok(KeyUri { kind, issuer, account: String::from(account), secret, algorithm, digits, period, counter, extra })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn encode(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn decode(text: &str, plus_is_space: bool) -> Result<String, Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(Error::InvalidParameter(Invalid::UriEncoding))?;
                let value = core::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .filter(|_| hex.iter().all(u8::is_ascii_hexdigit))
                    .ok_or(Error::InvalidParameter(Invalid::UriEncoding))?;
                out.push(value);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Error::InvalidParameter(Invalid::UriEncoding))
}
