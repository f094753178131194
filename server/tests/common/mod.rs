//! A real `watchword serve` process on a free port, stopped when dropped, and a small client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "test-auth-token-0123456789";
pub const IDENTITY: &str = "ff483d1ff591898a9942916050d2ca3f";

pub struct Server {
    child: Child,
    pub base: String,
    client: reqwest::blocking::Client,
}

/// The store URLs to run against: memory, a fresh SQLite file, and PostgreSQL when
/// `WATCHWORD_TEST_PG_URL` is set (each run in its own table prefix).
pub fn stores(dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec!["memory:".to_string(), format!("sqlite:///{}", dir.join("watchword.db").display())];
    if let Ok(pg) = std::env::var("WATCHWORD_TEST_PG_URL") {
        let mut bytes = [0u8; 6];
        getrandom(&mut bytes);
        let prefix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let sep = if pg.contains('?') { '&' } else { '?' };
        urls.push(format!("{pg}{sep}table_prefix=srv{prefix}_"));
    }
    urls
}

fn getrandom(out: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(out)).expect("urandom");
}

impl Server {
    pub fn start(store: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_logging(store, extra, env, Stdio::inherit())
    }

    /// [`Server::start`] with the server's log (its standard error) going to `log`.
    pub fn start_logging(store: &str, extra: &[&str], env: &[(&str, &str)], log: Stdio) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_watchword"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
            .args(extra)
            .env("WATCHWORD_TWILIO_ACCOUNT_SID", ACCOUNT_SID)
            .env("WATCHWORD_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
            .env_remove("WATCHWORD_CONFIG")
            .env_remove("WATCHWORD_OKTA_API_TOKEN")
            .env("WATCHWORD_LOG", std::env::var("WATCHWORD_LOG").unwrap_or_else(|_| "error".into()))
            .stdout(Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the server says where it listens");
        let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| {
            let _ = child.kill();
            panic!("unexpected first line {line:?}")
        });
        let base = format!("http://{addr}");
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Server { child, base, client }
    }

    /// Stops the server with SIGTERM (graceful shutdown) and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let status = self.child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }

    /// A plain TCP connection to the server, for requests written by hand (reads give up
    /// after 10 s).
    pub fn connect(&self) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(self.base.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit (after a signal sent elsewhere).
    pub fn wait(mut self) -> std::process::ExitStatus {
        let status = self.child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }

    pub fn request(&self, method: &str, path: &str, form: &[(&str, &str)], auth: Option<(&str, &str)>) -> (u16, Value) {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, url);
        if let Some((user, password)) = auth {
            req = req.basic_auth(user, Some(password));
        }
        if !form.is_empty() {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form {
                s.append_pair(k, v);
            }
            req = req.header("Content-Type", "application/x-www-form-urlencoded").body(s.finish());
        }
        let response = req.send().expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    /// A request with the configured credentials.
    pub fn call(&self, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.request(method, path, form, Some((ACCOUNT_SID, AUTH_TOKEN)))
    }

    /// A raw request: any body and headers.
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
            req = req.basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = req.body(body).send().expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub fn create_service(&self, form: &[(&str, &str)]) -> String {
        let (status, service) = self.call("POST", "/v2/Services", form);
        assert_eq!(status, 201, "{service}");
        service["sid"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The TOTP code of a factor's binding at Unix time `at`.
pub fn code(uri: &str, at: u64) -> String {
    let app = watchword_core::KeyUri::parse(uri).unwrap();
    let totp = watchword_core::Totp::new(app.secret.as_bytes(), app.algorithm, app.digits, app.period).unwrap();
    totp.generate(at).unwrap().as_str().to_string()
}

pub fn now() -> u64 {
    watchword_core::service::unix_now()
}
