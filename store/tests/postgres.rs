//! The PostgreSQL store against a real server: the conformance suite, replay protection under
//! concurrency, schema creation, TLS modes and bad input. The server comes from
//! `mk/with-postgres.sh` (`make store-test`); without it these tests fail, unless
//! `WATCHWORD_TEST_PG=skip`.

mod pg;

use std::sync::{Arc, Barrier};

use postgres::NoTls;
use watchword_core::service::{Entity, Identity, Key, Kind, Record, Sid, Store, Write};
use watchword_core::Error;
use watchword_store::{conformance, open};

use pg::{assert_storage, password, random_hex, service, with, with_host};

const THREADS: usize = 16;

fn raw(url: &str) -> postgres::Client {
    postgres::Client::connect(url, NoTls).expect("a direct connection to the test server")
}

#[test]
fn the_conformance_suite_passes_on_postgres() {
    let Some(url) = pg::url() else { return };
    let store = Arc::new(open(&url).unwrap());
    let (files, steps) = conformance::run_all(|| Arc::clone(&store));
    println!("postgresql: {files} scenarios, {steps} steps");
}

/// The scenarios again with each operation run as sans-I/O steps answered by the store.
#[test]
fn the_scenarios_pass_on_postgres_as_steps() {
    let Some(url) = pg::url() else { return };
    let store = Arc::new(open(&url).unwrap());
    let (files, steps) =
        conformance::scenarios_by(conformance::Driver::Steps, &conformance::scenario_dir(), || Arc::clone(&store))
            .unwrap_or_else(|failures| panic!("{} failure(s):\n{}", failures.len(), failures.join("\n")));
    assert!(files > 10 && steps > 100, "{files} scenarios, {steps} steps");
}

#[test]
fn the_conformance_suite_passes_with_a_table_prefix_and_a_store_per_scenario() {
    let Some(url) = pg::url() else { return };
    let prefixed = format!("{url}&table_prefix=ww_test_&pool_size=2");
    let (files, steps) = conformance::run_all(|| open(&prefixed).unwrap());
    println!("postgresql, table_prefix=ww_test_: {files} scenarios, {steps} steps");
    let mut client = raw(&url);
    for table in ["ww_test_records", "ww_test_schema", "records", "schema"] {
        let found: Option<String> = client.query_one("SELECT to_regclass($1)::text", &[&table]).unwrap().get(0);
        assert_eq!(found.as_deref(), Some(table), "table {table}");
    }
    let version: i32 = client.query_one("SELECT max(version) FROM ww_test_schema", &[]).unwrap().get(0);
    assert_eq!(version, 1);
    // Keys compare byte by byte, as the listing order does, whatever the database's locale.
    let collations: Vec<Option<String>> = client
        .query(
            "SELECT collation_name::text FROM information_schema.columns \
             WHERE table_name = 'ww_test_records' AND column_name IN ('service', 'kind', 'key', 'identity')",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(collations, vec![Some(String::from("C")); 4]);
}

#[test]
fn processes_opening_a_new_database_at_once_create_one_schema() {
    let Some(url) = pg::url() else { return };
    let prefix = format!("ww_race_{}_", random_hex());
    let prefixed = format!("{url}&table_prefix={prefix}&pool_size=1");
    let barrier = Barrier::new(8);
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let store = open(&prefixed).map_err(|e| e.to_string())?;
                    store.scan("default", Kind::Entity, None, 10).map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let rows: i64 = raw(&url).query_one(&format!("SELECT count(*) FROM {prefix}schema"), &[]).unwrap().get(0);
    assert_eq!(rows, 1, "one schema-version row");
}

#[test]
fn a_schema_newer_than_this_build_is_refused() {
    let Some(url) = pg::url() else { return };
    let prefix = format!("ww_newer_{}_", random_hex());
    raw(&url)
        .batch_execute(&format!(
            "CREATE TABLE {prefix}schema (version integer NOT NULL); \
             INSERT INTO {prefix}schema VALUES (99);"
        ))
        .unwrap();
    let e = open(&format!("{url}&table_prefix={prefix}")).err().expect("refused");
    assert_storage(&e, "schema version 99", &password(&url));
}

#[test]
fn a_stored_record_that_cannot_be_read_is_a_storage_error_naming_it_not_its_data() {
    let Some(url) = pg::url() else { return };
    let store = open(&url).unwrap();
    let service = format!("broken-{}", random_hex());
    raw(&url)
        .execute(
            "INSERT INTO records (service, kind, key, identity, created, version, data) \
             VALUES ($1, 'factor', 'YF00000000000000000000000000000000', 'user-0001-abcd', 1, 1, '{\"v\": 1, \"secret\": \"hunter2hunter2\"')",
            &[&service],
        )
        .unwrap();
    let sid = Sid::parse("YF00000000000000000000000000000000", "YF").unwrap();
    let e = store.get(&service, &Key::Factor(sid)).unwrap_err();
    let message = assert_storage(&e, "factor record YF00000000000000000000000000000000", "hunter2");
    assert!(!message.contains("secret"), "{message}");
    let e = store.scan(&service, Kind::Factor, None, 10).unwrap_err();
    assert_storage(&e, "cannot be read", "hunter2");
    let identity = Identity::parse("user-0001-abcd").unwrap();
    let e = store.list(&service, &identity, Kind::Factor, None, 10).unwrap_err();
    assert_storage(&e, "cannot be read", "hunter2");
    // A row whose columns were edited by hand away from its record.
    let entity = Entity::new("user-0002-abcd", [7; 16], 5).unwrap();
    store.commit(&service, vec![Write::Put { record: Record::from(entity.clone()), expected: 0 }]).unwrap();
    raw(&url).execute("UPDATE records SET version = 7 WHERE service = $1 AND kind = 'entity'", &[&service]).unwrap();
    let e = store.get(&service, &Key::Entity(entity.identity)).unwrap_err();
    assert_storage(&e, "the stored entity record user-0002-abcd disagrees with its row", "");
}

/// What one write of [`a_commit_with_one_stale_write_anywhere_applies_nothing`] does.
fn shape_write(i: usize, stale: bool, entities: &[Entity]) -> Write {
    let e = &entities[i];
    match i % 3 {
        // An insert: of a key that exists when stale.
        0 => Write::Put { record: Record::from(Entity { version: 1, ..e.clone() }), expected: 0 },
        // An update of version 1 to 2; stale, it expects 2.
        1 => Write::Put {
            record: Record::from(Entity { version: if stale { 3 } else { 2 }, date_updated: 9, ..e.clone() }),
            expected: if stale { 2 } else { 1 },
        },
        // A delete of version 1; stale, of version 2.
        _ => Write::Delete { key: Key::Entity(e.identity), expected: if stale { 2 } else { 1 } },
    }
}

#[test]
fn a_commit_with_one_stale_write_anywhere_applies_nothing() {
    // Lengths past the commits that get a statement of their own, so both kinds of statement
    // run; inserts, updates and deletes in turn, the stale one at every place.
    let Some(url) = pg::url() else { return };
    let store = open(&url).unwrap();
    for len in 1..=7 {
        for stale in (0..len).map(Some).chain([None]) {
            let service = format!("shapes-{}", random_hex());
            let entities: Vec<Entity> =
                (0..len).map(|i| Entity::new(&format!("user-{i:04}-shape"), [i as u8; 16], 5).unwrap()).collect();
            // Updates and deletes find version 1; a stale insert finds its key taken.
            let mut before = Vec::new();
            for (i, e) in entities.iter().enumerate() {
                let exists = i % 3 != 0 || stale == Some(i);
                if exists {
                    let record = Record::from(Entity { version: 1, ..e.clone() });
                    store.commit(&service, vec![Write::Put { record: record.clone(), expected: 0 }]).unwrap();
                    before.push(Some(record));
                } else {
                    before.push(None);
                }
            }
            let writes: Vec<Write> = (0..len).map(|i| shape_write(i, stale == Some(i), &entities)).collect();
            let outcome = store.commit(&service, writes);
            let now: Vec<Option<Record>> =
                entities.iter().map(|e| store.get(&service, &Key::Entity(e.identity)).unwrap()).collect();
            match stale {
                Some(at) => {
                    assert!(matches!(outcome, Err(Error::Conflict)), "{len} writes, stale at {at}: {outcome:?}");
                    assert_eq!(now, before, "{len} writes, stale at {at}: nothing applied");
                }
                None => {
                    outcome.unwrap_or_else(|e| panic!("{len} writes: {e}"));
                    let after: Vec<Option<Record>> = (0..len)
                        .map(|i| match shape_write(i, false, &entities) {
                            Write::Put { record, .. } => Some(record),
                            Write::Delete { .. } => None,
                        })
                        .collect();
                    assert_eq!(now, after, "{len} writes: all applied");
                }
            }
        }
    }
}

#[test]
fn of_stores_inserting_one_key_at_once_one_succeeds_and_the_others_conflict() {
    let Some(url) = pg::url() else { return };
    let service = format!("insert-race-{}", random_hex());
    for round in 0..20 {
        let entity = Entity::new(&format!("user-{round:04}-race"), [round as u8; 16], 5).unwrap();
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (url, service, entity, barrier) = (url.clone(), service.clone(), entity.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let store = open(&format!("{url}&pool_size=1")).unwrap();
                    barrier.wait();
                    store.commit(&service, vec![Write::Put { record: Record::from(entity), expected: 0 }])
                })
            })
            .collect();
        let outcomes: Vec<Result<(), Error>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().all(|o| matches!(o, Ok(()) | Err(Error::Conflict))), "round {round}: {outcomes:?}");
    }
}

#[test]
fn reads_use_the_index_made_for_them_before_the_table_has_statistics() {
    let Some(url) = pg::url() else { return };
    let prefix = format!("ww_plan_{}_", random_hex());
    drop(open(&format!("{url}&table_prefix={prefix}")).unwrap());
    let mut client = raw(&url);
    // Ten thousand records of one service and kind, and no statistics: as a new deployment's
    // table is before autovacuum first analyzes it.
    client
        .batch_execute(&format!(
            "ALTER TABLE {prefix}records SET (autovacuum_enabled = false); \
             INSERT INTO {prefix}records SELECT 'plan', 'factor', 'YF' || lpad(i::text, 32, '0'), 'user-' || i, \
             1700000000, 1, '{{}}' FROM generate_series(1, 10000) AS i;"
        ))
        .unwrap();
    let analyzed: i64 = client
        .query_one("SELECT count(*) FROM pg_stats WHERE tablename = $1", &[&format!("{prefix}records")])
        .unwrap()
        .get(0);
    assert_eq!(analyzed, 0, "no statistics yet");
    let (key, columns) = (format!("YF{:032}", 5000), "key, identity, created, version, data");
    let reads = [
        (format!("SELECT {columns} FROM {prefix}records WHERE service = $1 AND kind = $2 AND key = '{key}'"), "pkey"),
        (
            format!(
                "UPDATE {prefix}records SET data = '{{}}' WHERE service = $1 AND kind = $2 AND key = '{key}' \
                 AND version = 1"
            ),
            "pkey",
        ),
        (
            format!("DELETE FROM {prefix}records WHERE service = $1 AND kind = $2 AND key = '{key}' AND version = 1"),
            "pkey",
        ),
        (
            format!(
                "SELECT {columns} FROM {prefix}records WHERE service = $1 AND kind = $2 AND identity = 'user-5000' \
                 AND (created, key) > (-1, '') ORDER BY created, key LIMIT 10"
            ),
            "identity",
        ),
        (
            format!(
                "SELECT {columns} FROM {prefix}records WHERE service = $1 AND kind = $2 \
                 AND (created, key) > (-1, '') ORDER BY created, key LIMIT 10"
            ),
            "created",
        ),
    ];
    // Custom plans (the first executions of a prepared statement) and generic ones (later).
    for mode in ["force_custom_plan", "force_generic_plan"] {
        client.batch_execute(&format!("SET plan_cache_mode = {mode}")).unwrap();
        for (i, (sql, index)) in reads.iter().enumerate() {
            let name = format!("read_{mode}_{i}");
            client.batch_execute(&format!("PREPARE {name}(text, text) AS {sql}")).unwrap();
            let plan: String = client
                .query(&format!("EXPLAIN (COSTS OFF) EXECUTE {name}('plan', 'factor')"), &[])
                .unwrap()
                .iter()
                .map(|row| row.get::<_, String>(0) + "\n")
                .collect();
            assert!(plan.contains(&format!("Index Scan using {prefix}records_{index} ")), "{mode}: {sql}\n{plan}");
        }
    }
}

fn reloptions(client: &mut postgres::Client, table: &str) -> Vec<String> {
    let options: Option<Vec<String>> =
        client.query_one("SELECT reloptions FROM pg_class WHERE oid = to_regclass($1)", &[&table]).unwrap().get(0);
    options.unwrap_or_default()
}

#[test]
fn records_tables_keep_room_for_updates_whether_new_or_made_by_an_earlier_build() {
    let Some(url) = pg::url() else { return };
    let mut client = raw(&url);
    let prefix = format!("ww_fill_{}_", random_hex());
    let prefixed = format!("{url}&table_prefix={prefix}");
    let table = format!("{prefix}records");
    let store = open(&prefixed).unwrap();
    assert_eq!(reloptions(&mut client, &table), vec![String::from("fillfactor=90")], "a new table");
    let entity = Entity::new("user-0001-fill", [1; 16], 5).unwrap();
    store.commit("fill", vec![Write::Put { record: Record::from(entity.clone()), expected: 0 }]).unwrap();
    drop(store);
    // A table of the same schema version made before tables had a fill factor.
    client.batch_execute(&format!("ALTER TABLE {table} RESET (fillfactor)")).unwrap();
    assert!(reloptions(&mut client, &table).is_empty());
    let store = open(&prefixed).unwrap();
    assert_eq!(reloptions(&mut client, &table), vec![String::from("fillfactor=90")], "an earlier table");
    assert_eq!(store.get("fill", &Key::Entity(entity.identity)).unwrap(), Some(Record::from(entity)));
    let versions: Vec<i32> = client
        .query(&format!("SELECT version FROM {prefix}schema"), &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, vec![1], "the schema version stays: earlier builds read the table as before");
    drop(store);
    // One set by hand stays.
    client.batch_execute(&format!("ALTER TABLE {table} SET (fillfactor = 70)")).unwrap();
    drop(open(&prefixed).unwrap());
    assert_eq!(reloptions(&mut client, &table), vec![String::from("fillfactor=70")], "set by hand");
}

#[test]
fn sixteen_threads_sharing_a_pool_of_four_get_exactly_one_approval() {
    let Some(url) = pg::url() else { return };
    let verify = service(open(&format!("{url}&pool_size=4")).unwrap(), "race-pool");
    conformance::one_approval_per_code(std::slice::from_ref(&verify), THREADS, 100).unwrap();
}

/// `THREADS` services of one namespace, each over a store of its own (one connection each), as
/// separate processes would have.
fn own_stores(url: &str, label: &str) -> Vec<watchword_core::service::Verify<watchword_store::AnyStore>> {
    let first = service(open(&format!("{url}&pool_size=1")).unwrap(), label);
    let config = first.config().clone();
    let mut verifiers = vec![first];
    for _ in 1..THREADS {
        let store = open(&format!("{url}&pool_size=1")).unwrap();
        verifiers.push(watchword_core::service::Verify::new(config.clone(), store));
    }
    verifiers
}

#[test]
fn sixteen_stores_of_their_own_get_exactly_one_approval() {
    let Some(url) = pg::url() else { return };
    conformance::one_approval_per_code(&own_stores(&url, "race-stores"), THREADS, 30).unwrap();
}

#[test]
fn sixteen_stores_of_their_own_redeem_a_recovery_code_once() {
    let Some(url) = pg::url() else { return };
    conformance::one_approval_per_recovery_code(&own_stores(&url, "race-recovery"), THREADS, 20).unwrap();
}

#[test]
fn connections_the_server_ended_are_replaced_without_an_error() {
    let Some(url) = pg::url() else { return };
    let name = format!("ww-ended-{}", random_hex());
    let store = open(&format!("{url}&pool_size=3&application_name={name}")).unwrap();
    let service = format!("ended-{}", random_hex());
    let entity = Entity::new("user-0003-abcd", [7; 16], 5).unwrap();
    let key = Key::Entity(entity.identity);
    store.commit(&service, vec![Write::Put { record: Record::from(entity.clone()), expected: 0 }]).unwrap();
    let terminate = |client: &mut postgres::Client| -> i64 {
        client
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .unwrap()
            .get(0)
    };
    let mut admin = raw(&url);
    assert!(terminate(&mut admin) >= 1, "the store keeps its connection open");
    std::thread::sleep(std::time::Duration::from_millis(100));
    // A read fails on the dead connection and tries once more on a new one.
    assert_eq!(store.get(&service, &key).unwrap(), Some(Record::from(entity.clone())));
    assert!(terminate(&mut admin) >= 1);
    // A commit pings a connection idle for more than 250 ms before it is sent.
    std::thread::sleep(std::time::Duration::from_millis(400));
    let newer = Entity { version: 2, ..entity };
    store.commit(&service, vec![Write::Put { record: Record::from(newer.clone()), expected: 1 }]).unwrap();
    assert_eq!(store.get(&service, &key).unwrap(), Some(Record::from(newer)));
}

// --- TLS ------------------------------------------------------------------------------------

/// Whether the server sees the connection of `application_name` as TLS.
fn uses_tls(url: &str, application_name: &str) -> bool {
    raw(url)
        .query_one(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&application_name],
        )
        .unwrap()
        .get::<_, Option<bool>>(0)
        .expect("the store's connection is open")
}

/// Opens the store at `url` with a fresh application name, reads through it, and tells
/// whether its connection uses TLS.
fn connects(url: &str, params: &str) -> Result<bool, Error> {
    let name = format!("ww-tls-{}", random_hex());
    let store = open(&format!("{params}&application_name={name}"))?;
    store.scan("default", Kind::Entity, None, 1)?;
    Ok(uses_tls(url, &name))
}

#[test]
fn tls_modes_follow_libpq() {
    let (Some(url), Some(ca)) = (pg::url(), pg::ca()) else { return };
    let secret = password(&url);
    let localhost = with_host(&url, "localhost");
    assert!(connects(&url, &with(&localhost, &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap());
    assert!(connects(&url, &with(&url, &format!("sslmode=verify-ca&sslrootcert={ca}"))).unwrap());
    assert!(connects(&url, &with(&url, "sslmode=require")).unwrap(), "require: TLS without a root certificate");
    assert!(connects(&url, &with(&url, "sslmode=prefer")).unwrap(), "prefer: TLS when the server offers it");
    assert!(!connects(&url, &url).unwrap(), "disable: no TLS");

    // Without sslrootcert, the system's roots: none of them signed the test CA.
    let e = open(&with(&localhost, "sslmode=verify-full")).err().expect("refused");
    let message = assert_storage(&e, "TLS: ", &secret);
    assert!(
        message.contains("not signed by a trusted root") || message.contains("no system root certificates"),
        "{message}"
    );

    // The certificate names localhost, not 127.0.0.1.
    let e = open(&with(&url, &format!("sslmode=verify-full&sslrootcert={ca}"))).err().expect("refused");
    assert_storage(&e, "TLS: the server certificate is not valid for host 127.0.0.1", &secret);
}

#[test]
fn tls_refuses_a_server_whose_certificate_another_root_signed() {
    let (Some(url), Some(_)) = (pg::url(), pg::ca()) else { return };
    let dir = std::env::temp_dir().join(format!("watchword-other-ca-{}", random_hex()));
    std::fs::create_dir_all(&dir).unwrap();
    let other = dir.join("other-ca.crt");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-days", "1", "-subj", "/CN=another CA", "-keyout"])
        .arg(dir.join("other-ca.key"))
        .arg("-out")
        .arg(&other)
        .args(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let localhost = with_host(&url, "localhost");
    for mode in ["verify-full", "verify-ca"] {
        let e =
            open(&with(&localhost, &format!("sslmode={mode}&sslrootcert={}", other.display()))).err().expect("refused");
        assert_storage(&e, "not signed by a trusted root certificate", &password(&url));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_sslrootcert_file_is_a_clear_error() {
    let Some(url) = pg::url() else { return };
    let secret = password(&url);
    let dir = std::env::temp_dir().join(format!("watchword-bad-ca-{}", random_hex()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.crt");
    let e = open(&with(&url, &format!("sslmode=verify-full&sslrootcert={}", missing.display()))).err().unwrap();
    assert_storage(&e, "cannot read the sslrootcert file", &secret);
    let garbage = dir.join("garbage.crt");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();
    let e = open(&with(&url, &format!("sslmode=verify-ca&sslrootcert={}", garbage.display()))).err().unwrap();
    assert_storage(&e, "holds no PEM certificate", &secret);
    let bad = dir.join("bad.crt");
    std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    let e = open(&with(&url, &format!("sslmode=verify-ca&sslrootcert={}", bad.display()))).err().unwrap();
    assert_storage(&e, "sslrootcert", &secret);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_unix_socket_directory_is_a_host_and_sslmode_does_not_apply_to_it() {
    let (Some(url), Some(data)) = (pg::url(), pg::data()) else { return };
    // mk/with-postgres.sh puts the socket beside the data directory.
    let dir = std::path::Path::new(&data).parent().unwrap().display().to_string();
    let port = url.rsplit_once(':').and_then(|(_, rest)| rest.split('/').next()).unwrap();
    let local = format!("postgresql://watchword:{}@/watchword?host={dir}&port={port}", password(&url));
    for mode in ["", "&sslmode=require"] {
        let store = open(&format!("{local}{mode}")).unwrap();
        assert!(store.scan("default", Kind::Entity, None, 1).is_ok(), "sslmode {mode:?}");
    }
}

// --- bad input ------------------------------------------------------------------------------

#[test]
fn a_closed_port_is_unreachable() {
    let Some(url) = pg::url() else { return };
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server_port = url.rsplit_once(':').and_then(|(_, rest)| rest.split('/').next()).unwrap().to_string();
    let closed = url.replace(&format!(":{server_port}/"), &format!(":{port}/"));
    let e = open(&closed).err().expect("refused");
    assert_storage(
        &e,
        &format!("cannot reach the PostgreSQL server at 127.0.0.1:{port} (connection refused)"),
        &password(&url),
    );
}

#[test]
fn a_wrong_password_is_an_authentication_failure_that_never_shows_it() {
    let Some(url) = pg::url() else { return };
    let wrong = "wrong-hunter2-pass";
    let bad = url.replace(&format!(":{}@", password(&url)), &format!(":{wrong}@"));
    assert_ne!(bad, url);
    let e = open(&bad).err().expect("refused");
    let message = assert_storage(&e, "authentication failed for user \"watchword\"", wrong);
    assert!(!message.contains(&password(&url)), "{message}");
    // No password at all.
    let none = url.replace(&format!(":{}@", password(&url)), "@");
    let e = open(&none).err().expect("refused");
    assert_storage(&e, "authentication failed for user \"watchword\"", &password(&url));
}

#[test]
fn a_database_that_does_not_exist_is_named() {
    let Some(url) = pg::url() else { return };
    let name = format!("nosuchdb_{}", random_hex());
    let (base, query) = url.split_once('?').unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    let e = open(&format!("{server}/{name}?{query}")).err().expect("refused");
    assert_storage(&e, &format!("the database \"{name}\" does not exist"), &password(&url));
}

#[test]
fn bad_urls_are_invalid_parameters_that_never_show_the_password() {
    let Some(url) = pg::url() else { return };
    let secret = password(&url);
    for (params, part) in [
        ("pool_size=0", "pool_size"),
        ("pool_size=many", "pool_size"),
        ("sslmode=sometimes", "sslmode"),
        ("sslmode=disable&connect_timeout=0", "connect_timeout"),
        ("sslmode=disable&table_prefix=Bad-Prefix", "table_prefix"),
        ("sslmode=disable&colour=blue", "store"),
    ] {
        let e = open(&with(&url, params)).err().expect("refused");
        let message = e.to_string();
        assert_eq!(e.kind().as_str(), "invalid_parameter", "{params}: {message}");
        assert!(message.contains(part), "{params}: {message}");
        assert!(!message.contains(&secret), "{params}: {message}");
    }
}
