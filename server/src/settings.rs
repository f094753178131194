//! The server's settings: flags, then `WATCHWORD_*` environment variables, then a TOML file
//! (`--config`), then defaults. The service settings every Twilio Service starts from (limits,
//! quotas, sealing keys) come from the file's `[settings]` table, as the library reads them
//! (`ServiceConfig::from_map`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};
use watchword_core::service::ServiceConfig;

/// How to run the server.
pub struct Settings {
    /// The store URL (`memory:`, `sqlite:///path`, `postgresql://…`).
    pub store: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The base of every `url`, `links` and paging URL in answers (never the Host header);
    /// by default `http://` and the address the server listens on.
    pub public_url: Option<String>,
    /// The Twilio account SID clients authenticate with.
    pub twilio_account_sid: String,
    /// The Twilio auth token clients authenticate with.
    pub twilio_auth_token: String,
    /// A Twilio API key (`SK…`) and its secret, accepted beside the account SID and token.
    pub twilio_api_key: Option<(String, String)>,
    /// The Okta API token (`SSWS …`); without it the Okta API is off.
    pub okta_api_token: Option<String>,
    /// The issuer of the Okta API's factors.
    pub okta_issuer: String,
    /// The settings every service starts from (issuer and namespace are set per service).
    pub template: ServiceConfig,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long one request may take, reading its body included.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers (and a TLS handshake).
    pub header_timeout: Duration,
    /// The TLS certificate chain (PEM); with `tls_key`, the server speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
}

/// Why the settings could not be read. The message never repeats a secret or a store URL.
#[derive(Debug)]
pub struct SettingsError(pub String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, SettingsError> {
    Err(SettingsError(message.into()))
}

/// The usage text of `watchword serve`.
pub const USAGE: &str = "\
usage: watchword serve [--store URL] [--listen ADDR:PORT] [--public-url URL] [--config FILE]
                       [--body-limit BYTES] [--request-timeout SECONDS] [--header-timeout SECONDS]
                       [--tls-cert PEM --tls-key PEM] [--okta-issuer NAME]

Every flag also reads from the environment (WATCHWORD_STORE, WATCHWORD_LISTEN,
WATCHWORD_PUBLIC_URL, WATCHWORD_CONFIG, WATCHWORD_BODY_LIMIT, WATCHWORD_REQUEST_TIMEOUT,
WATCHWORD_HEADER_TIMEOUT, WATCHWORD_TLS_CERT, WATCHWORD_TLS_KEY, WATCHWORD_OKTA_ISSUER) and from
the TOML file (store, listen, public_url, body_limit, request_timeout, header_timeout, tls_cert,
tls_key, okta_issuer).

Credentials, from the environment or the file: WATCHWORD_TWILIO_ACCOUNT_SID and
WATCHWORD_TWILIO_AUTH_TOKEN (required; the Twilio API), WATCHWORD_TWILIO_API_KEY and
WATCHWORD_TWILIO_API_SECRET (an API key, also accepted), WATCHWORD_OKTA_API_TOKEN (the Okta API,
off without it); in the file twilio_account_sid, twilio_auth_token, twilio_api_key,
twilio_api_secret, okta_api_token.

Service settings (limits, quotas, secret_keys, active_secret_key, accept_plaintext_records) go in
the file's [settings] table; sealing keys also from WATCHWORD_SECRET_KEYS (a JSON object: key id
-> Base64 key) and WATCHWORD_ACTIVE_SECRET_KEY. docs/server.md describes every setting.";

const NAMES: [&str; 10] = [
    "store",
    "listen",
    "public_url",
    "config",
    "body_limit",
    "request_timeout",
    "okta_issuer",
    "header_timeout",
    "tls_cert",
    "tls_key",
];

impl Settings {
    /// Reads the settings from `serve`'s arguments, the environment and the file.
    pub fn read(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let mut flags: Map<String, Value> = Map::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.strip_prefix("--") {
                Some(rest) => match rest.split_once('=') {
                    Some((n, v)) => (n.replace('-', "_"), Some(v.to_string())),
                    None => (rest.replace('-', "_"), None),
                },
                None => return fail(format!("unexpected argument {arg:?}\n{USAGE}")),
            };
            if !NAMES.contains(&name.as_str()) {
                return fail(format!("unknown flag --{}\n{USAGE}", name.replace('_', "-")));
            }
            let value = match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) => v.clone(),
                    None => return fail(format!("--{} needs a value", name.replace('_', "-"))),
                },
            };
            flags.insert(name, Value::String(value));
        }
        let config_path =
            flags.get("config").and_then(Value::as_str).map(str::to_string).or_else(|| env("WATCHWORD_CONFIG"));
        let file = match config_path {
            Some(path) => read_toml(&PathBuf::from(path))?,
            None => Map::new(),
        };
        // One value: flag, environment, file, default.
        let get = |name: &str| -> Option<String> {
            if let Some(Value::String(v)) = flags.get(name) {
                return Some(v.clone());
            }
            if let Some(v) = env(&format!("WATCHWORD_{}", name.to_ascii_uppercase())) {
                return Some(v);
            }
            match file.get(name) {
                Some(Value::String(v)) => Some(v.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        for name in file.keys() {
            let known = NAMES.contains(&name.as_str())
                || matches!(
                    name.as_str(),
                    "twilio_account_sid"
                        | "twilio_auth_token"
                        | "twilio_api_key"
                        | "twilio_api_secret"
                        | "okta_api_token"
                        | "settings"
                );
            if !known || name == "config" {
                return fail(format!("unknown setting {name:?} in the configuration file"));
            }
        }
        let store = get("store").unwrap_or_else(|| String::from("memory:"));
        let listen_text = get("listen").unwrap_or_else(|| String::from("127.0.0.1:8080"));
        let listen: SocketAddr = match listen_text.parse() {
            Ok(a) => a,
            Err(_) => {
                return fail(format!("listen: expected an address and port like 127.0.0.1:8080, not {listen_text:?}"))
            }
        };
        let public_url = get("public_url").map(|u| u.trim_end_matches('/').to_string());
        if public_url.as_ref().is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
            return fail("public_url: expected an http:// or https:// URL");
        }
        let twilio_account_sid = get("twilio_account_sid").unwrap_or_default();
        let twilio_auth_token = get("twilio_auth_token").unwrap_or_default();
        let sid_ok = twilio_account_sid.len() == 34
            && twilio_account_sid.starts_with("AC")
            && twilio_account_sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if !sid_ok {
            return fail("WATCHWORD_TWILIO_ACCOUNT_SID: expected AC followed by 32 hexadecimal characters");
        }
        if twilio_auth_token.len() < 16 {
            return fail("WATCHWORD_TWILIO_AUTH_TOKEN: expected a token of at least 16 characters");
        }
        let twilio_api_key = match (get("twilio_api_key"), get("twilio_api_secret")) {
            (None, None) => None,
            (Some(key), Some(secret)) => {
                let key_ok =
                    key.len() == 34 && key.starts_with("SK") && key[2..].bytes().all(|b| b.is_ascii_hexdigit());
                if !key_ok {
                    return fail("WATCHWORD_TWILIO_API_KEY: expected SK followed by 32 hexadecimal characters");
                }
                if secret.len() < 16 {
                    return fail("WATCHWORD_TWILIO_API_SECRET: expected a secret of at least 16 characters");
                }
                Some((key, secret))
            }
            _ => return fail("WATCHWORD_TWILIO_API_KEY and WATCHWORD_TWILIO_API_SECRET: give both or neither"),
        };
        let okta_api_token = get("okta_api_token");
        if okta_api_token.as_ref().is_some_and(|t| t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic())) {
            return fail("WATCHWORD_OKTA_API_TOKEN: expected a token of at least 16 printable characters");
        }
        let okta_issuer = get("okta_issuer").unwrap_or_else(|| String::from("watchword"));
        let body_limit = match get("body_limit") {
            None => 64 * 1024,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1024..=16 * 1024 * 1024).contains(&n) => n,
                _ => return fail("body_limit: expected a number of bytes from 1024 to 16777216"),
            },
        };
        let request_timeout = match get("request_timeout") {
            None => Duration::from_secs(30),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=3600).contains(&n) => Duration::from_secs(n),
                _ => return fail("request_timeout: expected seconds from 1 to 3600"),
            },
        };
        let header_timeout = match get("header_timeout") {
            None => Duration::from_secs(10),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=300).contains(&n) => Duration::from_secs(n),
                _ => return fail("header_timeout: expected seconds from 1 to 300"),
            },
        };
        let (tls_cert, tls_key) = match (get("tls_cert"), get("tls_key")) {
            (Some(c), Some(k)) => (Some(PathBuf::from(c)), Some(PathBuf::from(k))),
            (None, None) => (None, None),
            _ => return fail("tls_cert and tls_key: give both (PEM files) or neither"),
        };
        let mut service = match file.get("settings") {
            None => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return fail("settings: expected a table"),
        };
        for name in ["issuer", "service", "store"] {
            if service.contains_key(name) {
                return fail(format!("settings.{name}: set per Twilio Service (or by --store), not here"));
            }
        }
        if let Some(keys) = env("WATCHWORD_SECRET_KEYS") {
            match serde_json::from_str::<Value>(&keys) {
                Ok(v @ Value::Object(_)) => {
                    service.insert("secret_keys".into(), v);
                }
                _ => return fail("WATCHWORD_SECRET_KEYS: expected a JSON object of key id -> Base64 key"),
            }
        }
        if let Some(kid) = env("WATCHWORD_ACTIVE_SECRET_KEY") {
            service.insert("active_secret_key".into(), Value::String(kid));
        }
        service.insert("issuer".into(), Value::String("watchword".into()));
        let template = ServiceConfig::from_map(&service);
        watchword_core::service::wipe_secret_keys(&mut service);
        let template = template.map_err(|e| SettingsError(format!("settings: {e}")))?;
        Ok(Settings {
            store,
            listen,
            public_url,
            twilio_account_sid,
            twilio_auth_token,
            twilio_api_key,
            okta_api_token,
            okta_issuer,
            template,
            body_limit,
            request_timeout,
            header_timeout,
            tls_cert,
            tls_key,
        })
    }
}

fn read_toml(path: &PathBuf) -> Result<Map<String, Value>, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read the configuration file {}: {e}", path.display())),
    };
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => return fail(format!("the configuration file {} is not valid TOML: {}", path.display(), e.message())),
    };
    match serde_json::to_value(table) {
        Ok(Value::Object(map)) => Ok(map),
        _ => fail("the configuration file holds values JSON cannot hold (dates)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    const CREDS: &[(&str, &str)] = &[
        ("WATCHWORD_TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
        ("WATCHWORD_TWILIO_AUTH_TOKEN", "0123456789abcdef0123"),
    ];

    #[test]
    fn flags_win_over_the_environment() {
        let args = vec!["--listen".into(), "127.0.0.1:9999".into(), "--store=sqlite:///x.db".into()];
        let s = Settings::read(&args, env_of(CREDS)).unwrap();
        assert_eq!(s.listen.port(), 9999);
        assert_eq!(s.store, "sqlite:///x.db");
        assert_eq!(s.public_url, None);
    }

    #[test]
    fn credentials_are_required_and_never_echoed() {
        let err = Settings::read(&[], env_of(&[("WATCHWORD_TWILIO_ACCOUNT_SID", "nonsense-secret")])).err().unwrap();
        assert!(!err.0.contains("nonsense-secret"));
        assert!(err.0.contains("WATCHWORD_TWILIO_ACCOUNT_SID"));
    }

    #[test]
    fn unknown_flags_and_bad_values_are_refused() {
        assert!(Settings::read(&["--nope".into(), "1".into()], env_of(CREDS)).is_err());
        assert!(Settings::read(&["--body-limit".into(), "1".into()], env_of(CREDS)).is_err());
        assert!(Settings::read(&["--public-url".into(), "ftp://x".into()], env_of(CREDS)).is_err());
    }

    #[test]
    fn the_file_supplies_service_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        std::fs::write(&path, "public_url = \"https://mfa.example.com/\"\n[settings]\nchallenge_attempts = 3\n")
            .unwrap();
        let args = vec!["--config".into(), path.display().to_string()];
        let s = Settings::read(&args, env_of(CREDS)).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://mfa.example.com"));
        assert_eq!(s.template.challenge_attempts, 3);
        std::fs::write(&path, "[settings]\nchallenge_attempts = 0\n").unwrap();
        assert!(Settings::read(&args, env_of(CREDS)).is_err());
    }
}
