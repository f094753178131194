/* watchword over your own database, in C: a host store (ww_host_store) over a SQLite table the
 * program owns, next to its other tables and in its own file.
 *
 * One row per record — service, kind, key (unique together), identity, created, version and
 * the record's JSON text, kept byte for byte. `get` reads a row; `list` and `scan` read rows in
 * the order (created, key) after a cursor; `commit` applies its writes in one transaction when
 * every row still has the version the write expects, and answers WW_HOST_CONFLICT otherwise
 * (watchword then retries the operation). watchword copies what the callbacks answer, and what
 * it passes them lives until they return.
 *
 * Build against an installed libwatchword and the system's SQLite (libsqlite3-dev):
 *     cc -std=c99 sqlite_store.c $(pkg-config --cflags --libs watchword) -lsqlite3 -lpthread -o sqlite_store
 * Run: ./sqlite_store [file.db]   (default watchword-example.db; `make c-example` runs it) */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <watchword.h>

/* The store: one connection, used by one callback at a time (ww_service calls may come from
 * several threads at once, and a SQLite connection runs one transaction at a time). */
typedef struct {
    sqlite3 *db;
    pthread_mutex_t lock;
} sql_store;

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS watchword_records ("
    "  service TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, identity TEXT NOT NULL,"
    "  created INTEGER NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,"
    "  PRIMARY KEY (service, kind, key));"
    "CREATE INDEX IF NOT EXISTS watchword_records_listing"
    "  ON watchword_records (service, kind, identity, created, key);"
    "CREATE INDEX IF NOT EXISTS watchword_records_scan ON watchword_records (service, kind, created, key);";

/* Says what SQLite reported and fails the callback. The lock is held (the message is the
 * connection's). */
static int failed(sql_store *s, sqlite3_stmt *stmt, ww_host_reply *reply) {
    ww_host_reply_error(reply, sqlite3_errmsg(s->db));
    sqlite3_finalize(stmt);
    return WW_HOST_ERROR;
}

/* Answers the `record` column (column 0) of every row `stmt` yields. The lock is held. */
static int answer_rows(sql_store *s, sqlite3_stmt *stmt, ww_host_reply *reply) {
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        ww_host_reply_record(reply, text, (size_t)sqlite3_column_bytes(stmt, 0));
    }
    if (rc != SQLITE_DONE) return failed(s, stmt, reply);
    sqlite3_finalize(stmt);
    return WW_HOST_OK;
}

static int sql_get(void *user, const char *service, const char *kind, const char *key, ww_host_reply *reply) {
    sql_store *s = (sql_store *)user;
    sqlite3_stmt *stmt = NULL;
    int status;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, "SELECT record FROM watchword_records WHERE service = ?1 AND kind = ?2 AND key = ?3",
                           -1, &stmt, NULL) != SQLITE_OK) {
        status = failed(s, stmt, reply);
    } else {
        sqlite3_bind_text(stmt, 1, service, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, key, -1, SQLITE_STATIC);
        status = answer_rows(s, stmt, reply);
    }
    pthread_mutex_unlock(&s->lock);
    return status;
}

/* `list` (identity not NULL) and `scan` (identity NULL): the rows after the cursor in the order
 * (created, key), at most `limit` (watchword asks for "all" with SIZE_MAX: LIMIT -1). */
static int listing(sql_store *s, const char *service, const char *identity, const char *kind,
                   const ww_host_cursor *after, size_t limit, ww_host_reply *reply) {
    sqlite3_stmt *stmt = NULL;
    int status;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT record FROM watchword_records WHERE service = ?1 AND kind = ?2"
                           " AND (?3 IS NULL OR identity = ?3)"
                           " AND (?4 IS NULL OR created > ?4 OR (created = ?4 AND key > ?5))"
                           " ORDER BY created, key LIMIT ?6",
                           -1, &stmt, NULL) != SQLITE_OK) {
        status = failed(s, stmt, reply);
    } else {
        sqlite3_bind_text(stmt, 1, service, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
        if (identity != NULL) sqlite3_bind_text(stmt, 3, identity, -1, SQLITE_STATIC);
        if (after != NULL) {
            sqlite3_bind_int64(stmt, 4, (sqlite3_int64)after->created);
            sqlite3_bind_text(stmt, 5, after->key, -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(stmt, 6, limit > (size_t)INT64_MAX ? -1 : (sqlite3_int64)limit);
        status = answer_rows(s, stmt, reply);
    }
    pthread_mutex_unlock(&s->lock);
    return status;
}

static int sql_list(void *user, const char *service, const char *identity, const char *kind,
                    const ww_host_cursor *after, size_t limit, ww_host_reply *reply) {
    return listing((sql_store *)user, service, identity, kind, after, limit, reply);
}

static int sql_scan(void *user, const char *service, const char *kind, const ww_host_cursor *after, size_t limit,
                    ww_host_reply *reply) {
    return listing((sql_store *)user, service, NULL, kind, after, limit, reply);
}

/* Runs one write inside the commit's transaction: 1 done, 0 a conflict, -1 a SQLite error. */
static int apply(sql_store *s, const ww_host_write *w) {
    sqlite3_stmt *stmt = NULL;
    sqlite3_int64 stored = 0;
    int rc;
    if (sqlite3_prepare_v2(s->db, "SELECT version FROM watchword_records WHERE service = ?1 AND kind = ?2 AND key = ?3",
                           -1, &stmt, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(stmt, 1, w->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, w->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, w->key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) stored = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    if ((uint64_t)stored != w->expected_version) return 0;
    if (w->record == NULL) {
        rc = sqlite3_prepare_v2(s->db, "DELETE FROM watchword_records WHERE service = ?1 AND kind = ?2 AND key = ?3", -1,
                                &stmt, NULL);
    } else {
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO watchword_records (service, kind, key, identity, created, version, record)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (service, kind, key) DO UPDATE SET"
                                " identity = excluded.identity, created = excluded.created,"
                                " version = excluded.version, record = excluded.record",
                                -1, &stmt, NULL);
    }
    if (rc != SQLITE_OK) return -1;
    sqlite3_bind_text(stmt, 1, w->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, w->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, w->key, -1, SQLITE_STATIC);
    if (w->record != NULL) {
        sqlite3_bind_text(stmt, 4, w->identity, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, (sqlite3_int64)w->created);
        sqlite3_bind_int64(stmt, 6, (sqlite3_int64)w->version);
        sqlite3_bind_text(stmt, 7, w->record, (int)w->record_len, SQLITE_STATIC);
    }
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 1 : -1;
}

static int sql_commit(void *user, const ww_host_write *writes, size_t count, ww_host_reply *reply) {
    sql_store *s = (sql_store *)user;
    int status = WW_HOST_OK, done = 1;
    size_t i;
    pthread_mutex_lock(&s->lock);
    /* IMMEDIATE: the write lock up front, so other processes on the file wait their turn. */
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        status = failed(s, NULL, reply);
    } else {
        for (i = 0; i < count && done == 1; i++) done = apply(s, &writes[i]);
        if (done == -1) status = failed(s, NULL, reply);
        if (done == 0) status = WW_HOST_CONFLICT;
        if (done != 1 || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            if (status == WW_HOST_OK) status = failed(s, NULL, reply);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return status;
}

/* --- a program that uses it ---------------------------------------------------------------------- */

static void check(ww_status st, const char *what) {
    char message[512];
    size_t len;
    if (st == WW_STATUS_OK) return;
    if (ww_last_error_message(message, sizeof message, &len) != WW_STATUS_OK) message[0] = '\0';
    fprintf(stderr, "%s failed: %s: %s\n", what, ww_status_kind(st), message);
    exit(1);
}

/* The text of `"key":"…"` in a JSON answer (sids and Base32 secrets have no escapes). */
static void field(const char *json, const char *key, char *out, size_t cap) {
    char pattern[40];
    const char *p;
    size_t n = 0;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    p = strstr(json, pattern);
    if (p != NULL) {
        p += strlen(pattern);
        while (p[n] != '\0' && p[n] != '"' && n + 1 < cap) n++;
        memcpy(out, p, n);
    }
    out[n] = '\0';
}

static long count_rows(sqlite3 *db) {
    sqlite3_stmt *stmt = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM watchword_records", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return n;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "watchword-example.db";
    const char *user = "example-0001-user";
    sql_store store;
    ww_host_store callbacks = {NULL, sql_get, sql_list, sql_scan, sql_commit, NULL};
    ww_service *svc = NULL;
    ww_totp *app = NULL;
    ww_outcome outcome;
    char *out = NULL, sid[64], secret_b32[128], code[WW_CODE_BUFFER_SIZE];
    uint8_t secret[64];
    size_t len = 0;
    uint64_t now = ww_unix_now();

    if (sqlite3_open(path, &store.db) != SQLITE_OK || sqlite3_busy_timeout(store.db, 5000) != SQLITE_OK ||
        sqlite3_exec(store.db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, sqlite3_errmsg(store.db));
        sqlite3_close(store.db);
        return 1;
    }
    pthread_mutex_init(&store.lock, NULL);
    callbacks.user = &store;
    check(ww_service_new_with_store("{\"issuer\": \"Acme\"}", &callbacks, &svc), "ww_service_new_with_store");

    /* A fresh start for the example's user, then an enrollment as the quickstart does it. */
    if (ww_service_delete_entity(svc, user, now, &out) == WW_STATUS_OK) ww_string_free(out);
    check(ww_service_create_factor(svc, user, "phone", "", now, &out), "create_factor");
    field(out, "sid", sid, sizeof sid);
    field(out, "secret", secret_b32, sizeof secret_b32);
    ww_string_free(out);
    check(ww_base32_decode(secret_b32, secret, sizeof secret, &len), "ww_base32_decode");
    check(ww_totp_new(secret, len, WW_ALGORITHM_SHA1, 6, 30, 0, &app), "ww_totp_new");
    check(ww_totp_generate(app, now, code, sizeof code, &len), "ww_totp_generate");
    check(ww_service_verify_factor(svc, user, sid, code, len, now, &outcome, NULL), "verify_factor");
    printf("factor %s: %s\n", sid, outcome.status);

    /* A login with the next step's code, then the same code again. */
    check(ww_totp_generate(app, now + 30, code, sizeof code, &len), "ww_totp_generate");
    check(ww_service_create_challenge(svc, user, sid, code, len, "", now + 30, &outcome, NULL), "create_challenge");
    printf("login: %s\n", outcome.result == WW_RESULT_APPROVED ? "approved" : "refused");
    check(ww_service_create_challenge(svc, user, sid, code, len, "", now + 31, &outcome, NULL), "create_challenge");
    printf("the same code again: %s\n", outcome.result == WW_RESULT_REPLAYED ? "replayed" : "accepted?!");
    printf("%ld records in table watchword_records of %s\n", count_rows(store.db), path);

    ww_totp_free(app);
    ww_service_free(svc); /* the callbacks are not called after this */
    pthread_mutex_destroy(&store.lock);
    sqlite3_close(store.db);
    return 0;
}
