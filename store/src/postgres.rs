//! The PostgreSQL store (SPEC §9): records shared by every machine.
//!
//! - **Connections**: a pool of `?pool_size=` connections of the synchronous `postgres` crate,
//!   opened when needed. Each connection prepares its statements once. A connection that fails
//!   with a broken link (I/O error, closed by the server, a `FATAL` from a server shutting
//!   down) is dropped, and with it every idle one (after a server restart they are all dead);
//!   reads then try once more on a new connection. A commit is never sent twice: it goes on a
//!   connection that was in use within the last 250 ms or answers a ping, and once it may
//!   have reached the server, its failure is reported.
//! - **TLS**: rustls (ring) with libpq's `sslmode` meanings: `disable` (none), `prefer` (TLS
//!   when the server offers it, certificate unchecked), `require` (TLS, certificate unchecked),
//!   `verify-ca` (the chain checked against `sslrootcert` or the system's roots, the name not
//!   checked), `verify-full` (chain and host name checked). As in libpq, `sslmode` does not
//!   apply to a Unix socket (a `host` that is a directory).
//! - **Dead servers**: TCP keepalives (30 s idle, then 3 probes 10 s apart) and a 60 s TCP user
//!   timeout notice a server that vanished without closing its connections.
//! - **Schema**: created on first open under a transaction-scoped advisory lock, so processes
//!   opening at once do not race; `{prefix}schema` holds its version for later
//!   migrations. `{prefix}records` keys records by (service, kind, key) with `COLLATE "C"` so
//!   the database orders keys as the listing order of [`Cursor`] does (byte order), and keeps
//!   room on its pages so that updates of unindexed columns stay on their page (fill factor).
//! - **Commits** take one round trip and one statement, so one implicit transaction: every
//!   write is a compare-and-set on the row's whole primary key (an insert expects no row; an
//!   update or delete expects the version it read). A commit of up to four writes runs a
//!   statement written for its sequence of inserts, updates and deletes, with plain
//!   parameters; a longer one runs a general statement over arrays. When a write changes no
//!   row, the statement calls the PL/pgSQL function `{prefix}conflict()`, which raises
//!   SQLSTATE `WW409` and so rolls the whole statement back. That, an insert's unique
//!   violation, serialization failures and deadlocks are [`Error::Conflict`]; every other
//!   failure is [`Error::Storage`] with a message that names the cause and never the
//!   password, the URL or record data.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;
use watchword_core::service::{Cursor, Identity, Key, Kind, Record, Store, Write};
use watchword_core::Error;

use crate::rows::{RowData, RowWrite};
use crate::url::{PostgresUrl, SslMode};

/// The schema version this build writes and reads.
const SCHEMA_VERSION: i32 = 1;

/// How full PostgreSQL fills the records table's pages: the room left lets an update that
/// changes no indexed column (a factor's counters, a challenge's status) put the row's new
/// version on its own page, a HOT update, which writes to no index.
const FILLFACTOR: i32 = 90;

/// The SQLSTATE `{prefix}conflict()` raises when a compare-and-set fails.
const CONFLICT_STATE: &str = "WW409";

/// What one write of a commit does to its row.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Op {
    /// A put of a record that must not exist yet (expected version 0).
    Insert,
    /// A put over the stored version it expects.
    Update,
    /// A delete of the stored version it expects.
    Delete,
}

impl Op {
    /// What `write` does; `None` for a delete that expects no record, which can never apply
    /// (the general statement reports it as a conflict).
    fn of(write: &RowWrite) -> Option<Op> {
        match (&write.row, write.expected) {
            (Some(_), 0) => Some(Op::Insert),
            (Some(_), _) => Some(Op::Update),
            (None, 0) => None,
            (None, _) => Some(Op::Delete),
        }
    }
}

/// Commits of at most this many writes run a statement written for their sequence of
/// operations (prepared on a connection the first time it sees that sequence); longer ones run
/// the general statement over arrays.
const SHAPED_WRITES: usize = 4;

/// The SQL of one table prefix.
struct Sql {
    prefix: String,
    get: String,
    list: String,
    scan: String,
    commit: String,
}

impl Sql {
    fn new(p: &str) -> Sql {
        let columns = "SELECT key, identity, created, version, data FROM";
        Sql {
            prefix: p.to_string(),
            get: format!("{columns} {p}records WHERE service = $1 AND kind = $2 AND key = $3"),
            list: format!(
                "{columns} {p}records WHERE service = $1 AND kind = $2 AND identity = $3 \
                 AND (created, key) > ($4, $5) ORDER BY created, key LIMIT $6"
            ),
            scan: format!(
                "{columns} {p}records WHERE service = $1 AND kind = $2 \
                 AND (created, key) > ($3, $4) ORDER BY created, key LIMIT $5"
            ),
            // One statement, so one round trip and one implicit transaction: the writes as rows,
            // an insert, an update and a delete over them, and a check that every write changed
            // exactly one row. A mismatch calls {p}conflict(), which raises WW409 and so undoes
            // the whole statement; only that rare path runs PL/pgSQL.
            commit: format!(
                "WITH w AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], \
                 $7::bigint[], $8::bigint[], $9::text[]) AS w(op, kind, key, identity, created, expected, version, data)), \
                 ins AS (INSERT INTO {p}records (service, kind, key, identity, created, version, data) \
                 SELECT $1, kind, key, identity, created, version, data FROM w WHERE op = 'put' AND expected = 0 \
                 ON CONFLICT DO NOTHING RETURNING 1), \
                 upd AS (UPDATE {p}records r SET identity = w.identity, created = w.created, version = w.version, \
                 data = w.data FROM w WHERE w.op = 'put' AND w.expected <> 0 AND r.service = $1 AND r.kind = w.kind \
                 AND r.key = w.key AND r.version = w.expected RETURNING 1), \
                 del AS (DELETE FROM {p}records r USING w WHERE w.op = 'delete' AND w.expected <> 0 \
                 AND r.service = $1 AND r.kind = w.kind AND r.key = w.key AND r.version = w.expected RETURNING 1) \
                 SELECT CASE WHEN (SELECT count(*) FROM ins) + (SELECT count(*) FROM upd) + (SELECT count(*) FROM del) \
                 = cardinality($2::text[]) THEN 0 ELSE {p}conflict() END"
            ),
        }
    }

    /// The commit statement of one sequence of operations (at least one), with plain
    /// parameters: `$1` the service, then each write's own (see [`shaped_params`]). Every row
    /// is found by its whole primary key, so there is no join whose size the planner could
    /// misjudge. A single write is a statement of its own: its row count tells whether the
    /// compare-and-set held. Several run as data-modifying CTEs of one statement, and a check
    /// that every update and delete changed one row calls `{p}conflict()`, which undoes them
    /// all. An insert of a key that exists fails with a unique violation, also a conflict.
    fn commit_shape(&self, ops: &[Op]) -> String {
        let p = &self.prefix;
        let mut next = 2;
        let mut param = || {
            let n = next;
            next += 1;
            format!("${n}")
        };
        let mut parts = Vec::with_capacity(ops.len());
        for op in ops {
            parts.push(match op {
                Op::Insert => {
                    let (kind, key, identity, created, version, data) =
                        (param(), param(), param(), param(), param(), param());
                    format!(
                        "INSERT INTO {p}records (service, kind, key, identity, created, version, data) \
                         VALUES ($1, {kind}, {key}, {identity}, {created}, {version}, {data})"
                    )
                }
                Op::Update => {
                    let (kind, key, expected, identity, created, version, data) =
                        (param(), param(), param(), param(), param(), param(), param());
                    format!(
                        "UPDATE {p}records SET identity = {identity}, created = {created}, version = {version}, \
                         data = {data} WHERE service = $1 AND kind = {kind} AND key = {key} AND version = {expected}"
                    )
                }
                Op::Delete => {
                    let (kind, key, expected) = (param(), param(), param());
                    format!(
                        "DELETE FROM {p}records WHERE service = $1 AND kind = {kind} AND key = {key} \
                         AND version = {expected}"
                    )
                }
            });
        }
        if parts.len() == 1 {
            return parts.remove(0);
        }
        let ctes: Vec<String> = parts
            .iter()
            .zip(ops)
            .enumerate()
            .map(|(i, (sql, op))| match op {
                Op::Insert => format!("w{i} AS ({sql})"),
                Op::Update | Op::Delete => format!("w{i} AS ({sql} RETURNING 1)"),
            })
            .collect();
        let checked: Vec<String> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| **op != Op::Insert)
            .map(|(i, _)| format!("(SELECT count(*) FROM w{i})"))
            .collect();
        let check = if checked.is_empty() {
            String::from("SELECT 0")
        } else {
            format!("SELECT CASE WHEN {} = {} THEN 0 ELSE {p}conflict() END", checked.join(" + "), checked.len())
        };
        format!("WITH {} {check}", ctes.join(", "))
    }
}

/// The parameters of a shaped commit statement (see [`Sql::commit_shape`]), in its order.
fn shaped_params<'a>(service: &'a &'a str, writes: &'a [RowWrite]) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![service];
    for w in writes {
        params.push(&w.kind);
        params.push(&w.key);
        match &w.row {
            Some(row) => {
                if w.expected != 0 {
                    params.push(&w.expected);
                }
                params.extend([&row.identity as &(dyn ToSql + Sync), &row.created, &row.version, &row.data]);
            }
            None => params.push(&w.expected),
        }
    }
    params
}

/// The schema of version 1, created in one transaction.
///
/// The indexes come from the least to the most selective for the queries they serve: by date,
/// then by identity and date, then the primary key. Until the table has planner statistics (a
/// new table, for its first minute or so; any table after `pg_upgrade`), PostgreSQL costs every
/// index led by (service, kind) the same for these queries, and of equally cheap indexes it
/// takes the one made last. So a lookup by key takes the key, not a listing index that reads
/// every entry of the service and kind to find it; and a listing by identity takes the identity
/// index, not the date index filtered by identity.
fn schema_v1(p: &str) -> String {
    format!(
        r#"
CREATE TABLE {p}records (
    service text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    identity text COLLATE "C" NOT NULL,
    created bigint NOT NULL,
    version bigint NOT NULL,
    data text NOT NULL
) WITH (fillfactor = {FILLFACTOR});
CREATE INDEX {p}records_created ON {p}records (service, kind, created, key);
CREATE INDEX {p}records_identity ON {p}records (service, kind, identity, created, key);
ALTER TABLE {p}records ADD PRIMARY KEY (service, kind, key);
CREATE FUNCTION {p}conflict() RETURNS integer LANGUAGE plpgsql VOLATILE AS $body$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{CONFLICT_STATE}', MESSAGE = 'compare-and-set conflict';
END
$body$;
"#
    )
}

/// What error messages may name about the server: never the password or the URL.
struct Target {
    host: String,
    port: u16,
    user: String,
    dbname: String,
}

impl Target {
    fn at(&self) -> String {
        if self.host.starts_with('/') {
            format!("the PostgreSQL server at {}/.s.PGSQL.{}", self.host, self.port)
        } else if self.host.contains(':') {
            format!("the PostgreSQL server at [{}]:{}", self.host, self.port)
        } else {
            format!("the PostgreSQL server at {}:{}", self.host, self.port)
        }
    }
}

/// When an error happened: opening a connection, or using one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect,
    Use,
}

/// The rustls error inside an error chain (tokio-rustls wraps it in an `io::Error`).
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) =
            e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|inner| rustls_error(inner))
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

fn io_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        next = e.source();
    }
    None
}

fn describe_tls(e: &rustls::Error, target: &Target) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            format!("TLS: the server certificate is not valid for host {} (sslmode=verify-full)", target.host)
        }
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "TLS: the certificate of {} is not signed by a trusted root certificate (see sslrootcert)",
            target.at()
        ),
        rustls::Error::InvalidCertificate(CertificateError::Expired)
        | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            format!("TLS: the certificate of {} has expired", target.at())
        }
        rustls::Error::InvalidCertificate(other) => {
            format!("TLS: the certificate of {} is not valid ({other:?})", target.at())
        }
        rustls::Error::AlertReceived(alert) => {
            format!("TLS: {} refused the TLS handshake ({alert:?})", target.at())
        }
        other => format!("TLS: the handshake with {} failed ({other})", target.at()),
    }
}

/// A message that names the cause of `e` in words: never the password, the URL or data.
fn describe(e: &postgres::Error, target: &Target, phase: Phase) -> String {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            format!("authentication failed for user \"{}\" at {} (wrong password)", target.user, target.at())
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            format!("authentication failed for user \"{}\" at {} ({})", target.user, target.at(), db.message())
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("the database \"{}\" does not exist on {}", target.dbname, target.at())
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            format!("{} has too many connections ({})", target.at(), db.message())
        } else if *code == SqlState::ADMIN_SHUTDOWN || *code == SqlState::CRASH_SHUTDOWN {
            format!("{} ended the connection ({})", target.at(), db.message())
        } else if *code == SqlState::CANNOT_CONNECT_NOW {
            format!("{} is starting up or shutting down ({})", target.at(), db.message())
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            format!("{} accepts no writes (a read-only server or transaction)", target.at())
        } else if *code == SqlState::DISK_FULL {
            format!("{} is out of disk space", target.at())
        } else {
            format!("{} answered with error {}: {}", target.at(), code.code(), db.message())
        };
    }
    if e.is_closed() {
        return format!("the server closed the connection ({})", target.at());
    }
    if let Some(tls) = rustls_error(e) {
        return describe_tls(tls, target);
    }
    let text = e.to_string();
    if text.starts_with("error performing TLS handshake") {
        if text.contains("server does not support TLS") {
            return format!("TLS: {} does not accept TLS connections (see sslmode)", target.at());
        }
        let cause = e.source().map(|c| c.to_string()).unwrap_or_default();
        return format!("TLS: the handshake with {} failed ({cause})", target.at());
    }
    if text.starts_with("authentication error") {
        let cause = e.source().map(|c| c.to_string()).unwrap_or_default();
        return format!("authentication failed for user \"{}\" at {} ({cause})", target.user, target.at());
    }
    if text.starts_with("invalid configuration") {
        let cause = e.source().map(|c| c.to_string()).unwrap_or_default();
        if cause.contains("password missing") {
            return format!(
                "authentication failed for user \"{}\" at {} (the server asks for a password and the URL has none)",
                target.user,
                target.at()
            );
        }
        return format!("invalid connection settings for {} ({cause})", target.at());
    }
    if text.starts_with("timeout waiting for server") {
        return format!("cannot reach {} (no answer within the connect_timeout)", target.at());
    }
    if let Some(io) = io_error(e) {
        let cause = match io.kind() {
            io::ErrorKind::ConnectionRefused => String::from("connection refused"),
            io::ErrorKind::TimedOut => String::from("timed out"),
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => {
                return format!("the server closed the connection ({})", target.at());
            }
            _ => io.to_string(),
        };
        return match phase {
            Phase::Connect => format!("cannot reach {} ({cause})", target.at()),
            Phase::Use => format!("lost the connection to {} ({cause})", target.at()),
        };
    }
    format!("{}: {text}", target.at())
}

/// Whether a connection that failed with `e` is of no further use.
fn is_broken(e: &postgres::Error) -> bool {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            matches!(db.severity(), "FATAL" | "PANIC") || code.starts_with("08") || code.starts_with("57P")
        }
        None => true,
    }
}

fn is_conflict(e: &postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        code.code() == CONFLICT_STATE
            // An insert of a key another commit took first (the only unique index is the key).
            || *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
    })
}

// --- TLS ------------------------------------------------------------------------------------

/// The certificate checks libpq makes below `verify-full`: none for `prefer`/`require` (TLS
/// without checking who answers), the chain to a trusted root for `verify-ca` (`roots`), the
/// host name never. The handshake's signatures are always checked against the certificate the
/// server sent.
#[derive(Debug)]
struct Lenient {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The root certificates of `sslrootcert`, or the system's.
fn roots(url: &PostgresUrl) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match &url.sslrootcert {
        Some(path) => {
            let shown = path.display();
            let pem = std::fs::read(path)
                .map_err(|e| Error::storage(format!("TLS: cannot read the sslrootcert file {shown} ({e})")))?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::storage(format!("TLS: the sslrootcert file {shown} is not valid PEM ({e})")))?;
            if certs.is_empty() {
                return Err(Error::storage(format!("TLS: the sslrootcert file {shown} holds no PEM certificate")));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    Error::storage(format!(
                        "TLS: the sslrootcert file {shown} holds a certificate that is not valid ({e})"
                    ))
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(Error::storage(
                    "TLS: no system root certificates were found: name the server's root certificate with sslrootcert",
                ));
            }
        }
    }
    Ok(roots)
}

/// The TLS connector for the URL's `sslmode`.
fn tls(url: &PostgresUrl) -> Result<MakeRustlsConnect, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::storage(format!("TLS: {e}")))?;
    let config = match url.sslmode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require | SslMode::VerifyCa => {
            let roots = match url.sslmode {
                SslMode::VerifyCa => Some(Arc::new(roots(url)?)),
                _ => None,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient { roots, algorithms }))
                .with_no_client_auth()
        }
        SslMode::VerifyFull => {
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(url)?), provider)
                .build()
                .map_err(|e| Error::storage(format!("TLS: {e}")))?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

// --- connections ----------------------------------------------------------------------------

/// A connection with its prepared statements.
struct Conn {
    client: Client,
    get: Statement,
    list: Statement,
    scan: Statement,
    commit: Statement,
    /// The shaped commit statements prepared so far (see [`Sql::commit_shape`]).
    shaped: HashMap<Vec<Op>, Statement>,
    /// When the connection last went back to the pool.
    idle_since: Instant,
}

impl Conn {
    /// Whether the connection answers a ping (one round trip). A connection the server
    /// ended while it sat idle (a restart) fails here, before a commit is sent on it.
    fn answers(&mut self, timeout: Duration) -> bool {
        !self.client.is_closed() && self.client.is_valid(timeout).is_ok()
    }
}

/// How a connection is wanted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Any live connection (reads: they retry once when it turns out broken).
    Any,
    /// A new connection (the retry of a read).
    Fresh,
    /// One known to work (commits, never retried): one idle for longer than [`IDLE_CHECK`]
    /// is pinged first.
    Checked,
}

/// How long a connection may sit idle before a commit pings it first.
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// How to open a connection.
struct Connector {
    config: postgres::Config,
    /// How long a ping may take (the URL's connect_timeout).
    timeout: Duration,
    tls: MakeRustlsConnect,
    target: Target,
    sql: Sql,
}

impl Connector {
    fn client(&self) -> Result<Client, Error> {
        self.config.connect(self.tls.clone()).map_err(|e| Error::storage(describe(&e, &self.target, Phase::Connect)))
    }

    fn prepare(&self, mut client: Client) -> Result<Conn, Error> {
        let sql = &self.sql;
        let describe = |e: postgres::Error| Error::storage(describe(&e, &self.target, Phase::Use));
        let get = client.prepare(&sql.get).map_err(describe)?;
        let list = client.prepare(&sql.list).map_err(describe)?;
        let scan = client.prepare(&sql.scan).map_err(describe)?;
        let commit = client.prepare(&sql.commit).map_err(describe)?;
        Ok(Conn { client, get, list, scan, commit, shaped: HashMap::new(), idle_since: Instant::now() })
    }

    fn connect(&self) -> Result<Conn, Error> {
        let client = self.client()?;
        self.prepare(client)
    }
}

struct PoolState {
    idle: Vec<Conn>,
    /// Connections that exist, idle or leased (or being opened).
    open: usize,
}

/// At most `size` connections, opened when needed.
struct Pool {
    connector: Connector,
    size: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

/// A connection taken from the pool; it goes back when dropped, unless marked broken.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    broken: bool,
}

impl Lease<'_> {
    fn conn(&mut self) -> &mut Conn {
        // Set at creation, taken only by drop.
        self.conn.as_mut().expect("a leased connection")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut dead = Vec::new();
        {
            let mut state = self.pool.lock();
            if self.broken || conn.client.is_closed() {
                // One broken connection usually means the server restarted: drop the idle
                // ones too rather than find out one request at a time.
                dead.push(conn);
                dead.append(&mut state.idle);
                state.open = state.open.saturating_sub(dead.len());
            } else {
                let mut conn = conn;
                conn.idle_since = Instant::now();
                state.idle.push(conn);
            }
        }
        self.pool.returned.notify_all();
        drop(dead);
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection: an idle one that is still alive, or a new one while fewer than `size`
    /// exist; else waits for one to come back.
    fn lease(&self, want: Want) -> Result<Lease<'_>, Error> {
        let mut state = self.lock();
        loop {
            if want != Want::Fresh {
                if let Some(mut conn) = state.idle.pop() {
                    drop(state);
                    let alive = if conn.client.is_closed() {
                        false
                    } else if want == Want::Checked && conn.idle_since.elapsed() > IDLE_CHECK {
                        conn.answers(self.connector.timeout)
                    } else {
                        true
                    };
                    if alive {
                        return Ok(Lease { pool: self, conn: Some(conn), broken: false });
                    }
                    // Dead: most likely the server restarted, so the other idle ones go too.
                    // They are closed outside the lock: closing waits for the socket to end.
                    let mut dead = vec![conn];
                    state = self.lock();
                    dead.append(&mut state.idle);
                    state.open = state.open.saturating_sub(dead.len());
                    drop(state);
                    drop(dead);
                    state = self.lock();
                    continue;
                }
            } else if state.open >= self.size {
                // Room for a new connection: close an idle one.
                if let Some(conn) = state.idle.pop() {
                    state.open = state.open.saturating_sub(1);
                    drop(state);
                    drop(conn);
                    state = self.lock();
                }
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match self.connector.connect() {
                    Ok(conn) => Ok(Lease { pool: self, conn: Some(conn), broken: false }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

// --- the store ------------------------------------------------------------------------------

/// A [`Store`] in a PostgreSQL database (see the module docs).
pub(crate) struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects, creates or checks the schema, and keeps that first connection in the pool.
    pub(crate) fn open(url: &PostgresUrl) -> Result<PostgresStore, Error> {
        let mut config = postgres::Config::new();
        config
            .host(&url.host)
            .port(url.port)
            .user(&url.user)
            .dbname(&url.dbname)
            .application_name(&url.application_name)
            .connect_timeout(url.connect_timeout)
            // A server that vanishes without closing its connections (a machine or network
            // failure) is noticed in about a minute rather than the system's hours.
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(60))
            .ssl_mode(match url.sslmode {
                // As in libpq, sslmode does not apply to Unix sockets: no server offers TLS there.
                _ if url.host.starts_with('/') => postgres::config::SslMode::Disable,
                SslMode::Disable => postgres::config::SslMode::Disable,
                SslMode::Prefer => postgres::config::SslMode::Prefer,
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => postgres::config::SslMode::Require,
            });
        if let Some(password) = &url.password {
            config.password(password);
        }
        let target =
            Target { host: url.host.clone(), port: url.port, user: url.user.clone(), dbname: url.dbname.clone() };
        let connector = Connector {
            config,
            timeout: url.connect_timeout,
            tls: tls(url)?,
            target,
            sql: Sql::new(&url.table_prefix),
        };
        let mut client = connector.client()?;
        create_schema(&mut client, &url.table_prefix)
            .map_err(|e| {
                Error::storage(format!("cannot create the schema: {}", describe(&e, &connector.target, Phase::Use)))
            })?
            .map_err(Error::storage)?;
        let first = connector.prepare(client)?;
        let pool = Pool {
            connector,
            size: url.pool_size.max(1),
            state: Mutex::new(PoolState { idle: vec![first], open: 1 }),
            returned: Condvar::new(),
        };
        Ok(PostgresStore { pool })
    }

    fn storage(&self, e: &postgres::Error) -> Error {
        Error::storage(describe(e, &self.pool.connector.target, Phase::Use))
    }

    /// Runs a read; when its connection turns out broken, once more on a new connection.
    fn read(&self, query: impl Fn(&mut Conn) -> Result<Vec<Row>, postgres::Error>) -> Result<Vec<Row>, Error> {
        let mut lease = self.pool.lease(Want::Any)?;
        match query(lease.conn()) {
            Ok(rows) => return Ok(rows),
            Err(e) if is_broken(&e) => lease.broken = true,
            Err(e) => return Err(self.storage(&e)),
        }
        drop(lease);
        let mut lease = self.pool.lease(Want::Fresh)?;
        query(lease.conn()).map_err(|e| {
            lease.broken = is_broken(&e);
            self.storage(&e)
        })
    }

    fn records(&self, kind: Kind, rows: Vec<Row>) -> Result<Vec<Record>, Error> {
        rows.iter().map(|row| self.record(kind, row)).collect()
    }

    /// The record a row holds (see [`crate::rows::Row::record`]).
    fn record(&self, kind: Kind, row: &Row) -> Result<Record, Error> {
        let row = crate::rows::Row {
            kind,
            key: row.try_get(0).map_err(|e| self.storage(&e))?,
            identity: row.try_get(1).map_err(|e| self.storage(&e))?,
            created: row.try_get(2).map_err(|e| self.storage(&e))?,
            version: row.try_get(3).map_err(|e| self.storage(&e))?,
            data: row.try_get(4).map_err(|e| self.storage(&e))?,
        };
        row.record()
    }
}

/// Creates the schema when it is missing. The outer error is the database's; the inner one a
/// schema this build cannot use.
fn create_schema(client: &mut Client, prefix: &str) -> Result<Result<(), String>, postgres::Error> {
    let mut tx = client.transaction()?;
    // Processes opening the same database at once wait here for the first one's schema.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&format!("watchword schema {prefix}")])?;
    tx.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {prefix}schema (version integer NOT NULL)"))?;
    let version: Option<i32> = tx.query_one(&format!("SELECT max(version) FROM {prefix}schema"), &[])?.get(0);
    match version {
        None => {
            tx.batch_execute(&schema_v1(prefix))?;
            tx.execute(&format!("INSERT INTO {prefix}schema (version) VALUES ($1)"), &[&SCHEMA_VERSION])?;
        }
        Some(SCHEMA_VERSION) => set_fillfactor(&mut tx, prefix)?,
        Some(newer) => {
            return Ok(Err(format!(
                "the database holds schema version {newer} (table prefix \"{prefix}\"), newer than the version \
                 {SCHEMA_VERSION} this build of watchword knows: upgrade watchword"
            )))
        }
    }
    tx.commit()?;
    Ok(Ok(()))
}

/// Gives a records table made before tables had a fill factor (by an earlier build, same
/// schema version) the one [`schema_v1`] sets now. Builds without it read and write the table
/// as before, so the version stays. A fill factor set by hand is left as it is.
fn set_fillfactor(tx: &mut postgres::Transaction<'_>, prefix: &str) -> Result<(), postgres::Error> {
    let table = format!("{prefix}records");
    let options = tx.query_opt("SELECT reloptions FROM pg_class WHERE oid = to_regclass($1)", &[&table])?;
    let options: Option<Vec<String>> = match options {
        Some(row) => row.get(0),
        // No table: the statements prepared next name what is missing.
        None => return Ok(()),
    };
    if !options.unwrap_or_default().iter().any(|o| o.starts_with("fillfactor=")) {
        // Takes a lock that lets reads and writes go on; pages written from now on keep room.
        tx.batch_execute(&format!("ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})"))?;
    }
    Ok(())
}

/// A listing cursor as SQL values: `None` when nothing can come after it.
fn cursor_values(after: Option<&Cursor>) -> Option<(i64, &str)> {
    match after {
        None => Some((-1, "")),
        Some(c) => i64::try_from(c.created).ok().map(|created| (created, c.key.as_str())),
    }
}

impl Store for PostgresStore {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        let (kind, k) = (key.kind().as_str(), key.as_str());
        let rows = self.read(|c| c.client.query(&c.get, &[&service, &kind, &k]))?;
        Ok(self.records(key.kind(), rows)?.into_iter().next())
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        let Some((created, key)) = cursor_values(after) else { return Ok(Vec::new()) };
        let (name, identity, limit) = (kind.as_str(), identity.as_str(), i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self.read(|c| c.client.query(&c.list, &[&service, &name, &identity, &created, &key, &limit]))?;
        self.records(kind, rows)
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        let Some((created, key)) = cursor_values(after) else { return Ok(Vec::new()) };
        let (name, limit) = (kind.as_str(), i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self.read(|c| c.client.query(&c.scan, &[&service, &name, &created, &key, &limit]))?;
        self.records(kind, rows)
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let writes = writes.iter().map(RowWrite::new).collect::<Result<Vec<_>, Error>>()?;
        let shape: Option<Vec<Op>> =
            if writes.len() <= SHAPED_WRITES { writes.iter().map(Op::of).collect() } else { None };
        // `lease` pings a connection that sat idle (nothing of the commit is sent before this
        // call): a failure from here on may have reached the server, so it is reported, never
        // retried.
        let mut lease = self.pool.lease(Want::Checked)?;
        let outcome = match shape {
            Some(shape) => self.commit_shaped(lease.conn(), service, &writes, shape),
            None => commit_general(lease.conn(), service, &writes).map(|_| true),
        };
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Conflict),
            Err(e) if is_conflict(&e) => Err(Error::Conflict),
            Err(e) => {
                lease.broken = is_broken(&e);
                Err(self.storage(&e))
            }
        }
    }
}

impl PostgresStore {
    /// Runs the statement of `shape` (preparing it on this connection the first time); whether
    /// the compare-and-set held.
    fn commit_shaped(
        &self,
        conn: &mut Conn,
        service: &str,
        writes: &[RowWrite],
        shape: Vec<Op>,
    ) -> Result<bool, postgres::Error> {
        let statement = match conn.shaped.get(&shape) {
            Some(statement) => statement.clone(),
            None => {
                let statement = conn.client.prepare(&self.pool.connector.sql.commit_shape(&shape))?;
                conn.shaped.insert(shape.clone(), statement.clone());
                statement
            }
        };
        let params = shaped_params(&service, writes);
        let changed = conn.client.execute(&statement, &params)?;
        // One write alone: its row count. Several: the statement raised unless all held.
        Ok(shape.len() > 1 || changed == 1)
    }
}

/// Runs the general commit statement, over arrays of the writes' columns.
fn commit_general(conn: &mut Conn, service: &str, writes: &[RowWrite]) -> Result<u64, postgres::Error> {
    let ops: Vec<&str> = writes.iter().map(|w| if w.row.is_some() { "put" } else { "delete" }).collect();
    let kinds: Vec<&str> = writes.iter().map(|w| w.kind).collect();
    let keys: Vec<&str> = writes.iter().map(|w| w.key.as_str()).collect();
    let expected: Vec<i64> = writes.iter().map(|w| w.expected).collect();
    let column = |f: fn(&RowData) -> i64| writes.iter().map(|w| w.row.as_ref().map_or(0, f)).collect::<Vec<i64>>();
    let (created, versions) = (column(|r| r.created), column(|r| r.version));
    let identities: Vec<&str> = writes.iter().map(|w| w.row.as_ref().map_or("", |r| r.identity.as_str())).collect();
    let data: Vec<&str> = writes.iter().map(|w| w.row.as_ref().map_or("", |r| r.data.as_str())).collect();
    conn.client
        .execute(&conn.commit, &[&service, &ops, &kinds, &keys, &identities, &created, &expected, &versions, &data])
}
