/* A store the program implements (ww_host_store, ww_service_new_with_store): every state scenario
 * over the C table store of table_store.c, once as it is and once through a host that answers
 * more than a listing's limit; the table's copy, ownership and free_user; and hosts that fail or
 * answer wrongly — an error with and without a message, malformed records, another factor's
 * record, another identity's, text that is not UTF-8, NULL text, unknown statuses, a record too
 * many, endless conflicts — each a clear error that leaves the host's rows as they were, after
 * which the same service works again. Usage: test_host_store VECTORS_DIR */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"
#include "scenarios.h"
#include "table_store.h"

static const uint64_t T0 = 1700000000;

/* --- a host that answers wrongly on demand -------------------------------------------------- */

typedef enum {
    FAULT_NONE,
    FAULT_ERROR,           /* WW_HOST_ERROR with a message */
    FAULT_SILENT_ERROR,    /* WW_HOST_ERROR without one */
    FAULT_MALFORMED,       /* a record that is not JSON */
    FAULT_OTHER_KEY,       /* get: another factor's record; list: another identity's records */
    FAULT_NOT_UTF8,        /* a record that is not UTF-8 */
    FAULT_NULL_TEXT,       /* a record through a NULL pointer */
    FAULT_TWO_RECORDS,     /* get: the record twice */
    FAULT_UNKNOWN_STATUS,  /* returns 7 */
    FAULT_CONFLICT,        /* returns WW_HOST_CONFLICT (a conflict on every commit; no status for a read) */
    FAULT_OK_AFTER_ERROR,  /* answers an error and returns WW_HOST_OK */
    FAULT_RECORD_ON_COMMIT /* commit answers a record */
} fault;

typedef struct {
    table_store *table;
    fault fault;
    const char *where;       /* which callback fails: "get", "list", "scan" or "commit" */
    char other_key[512];     /* FAULT_OTHER_KEY on get: the factor answered instead */
    char other_identity[64]; /* FAULT_OTHER_KEY on list: the identity listed instead */
    ww_status replied;       /* what the last reply of the fault returned */
    int ignore_limit;        /* answer every record of a listing, whatever the limit */
    int *freed;              /* counts free_user calls, when not NULL */
} meddler;

/* Answers a call itself when the fault is set for `callback`: returns 1 and the status. */
static int meddle(meddler *m, const char *callback, ww_host_reply *reply, int *status) {
    static const char not_utf8[] = {'{', '"', 'v', '"', ':', (char)0xff, '}'};
    if (m->fault == FAULT_NONE || strcmp(m->where, callback) != 0) return 0;
    *status = WW_HOST_OK;
    switch (m->fault) {
    case FAULT_ERROR:
        m->replied = ww_host_reply_error(reply, "the database is on fire");
        *status = WW_HOST_ERROR;
        return 1;
    case FAULT_SILENT_ERROR:
        *status = WW_HOST_ERROR;
        return 1;
    case FAULT_MALFORMED:
        m->replied = ww_host_reply_record(reply, "{not json", 9);
        return 1;
    case FAULT_NOT_UTF8:
        m->replied = ww_host_reply_record(reply, not_utf8, sizeof not_utf8);
        return 1;
    case FAULT_NULL_TEXT:
        m->replied = ww_host_reply_record(reply, NULL, 5);
        return 1;
    case FAULT_UNKNOWN_STATUS:
        *status = 7;
        return 1;
    case FAULT_CONFLICT:
        *status = WW_HOST_CONFLICT;
        return 1;
    case FAULT_OK_AFTER_ERROR:
        m->replied = ww_host_reply_error(reply, "never mind");
        return 1;
    case FAULT_RECORD_ON_COMMIT:
        m->replied = ww_host_reply_record(reply, "{}", 2);
        return 1;
    default:
        return 0; /* answered by the callback itself */
    }
}

static int meddler_get(void *user, const char *service, const char *kind, const char *key, ww_host_reply *reply) {
    meddler *m = (meddler *)user;
    int status;
    if (meddle(m, "get", reply, &status)) return status;
    if (m->fault == FAULT_OTHER_KEY && strcmp(m->where, "get") == 0 && strcmp(kind, "factor") == 0) {
        return table_get(m->table, service, kind, m->other_key, reply);
    }
    if (m->fault == FAULT_TWO_RECORDS && strcmp(m->where, "get") == 0) {
        status = table_get(m->table, service, kind, key, reply);
        if (status != WW_HOST_OK) return status;
    }
    return table_get(m->table, service, kind, key, reply);
}

static int meddler_list(void *user, const char *service, const char *identity, const char *kind,
                        const ww_host_cursor *after, size_t limit, ww_host_reply *reply) {
    meddler *m = (meddler *)user;
    int status;
    if (meddle(m, "list", reply, &status)) return status;
    if (m->fault == FAULT_OTHER_KEY && strcmp(m->where, "list") == 0) identity = m->other_identity;
    return table_list(m->table, service, identity, kind, after, m->ignore_limit ? SIZE_MAX : limit, reply);
}

static int meddler_scan(void *user, const char *service, const char *kind, const ww_host_cursor *after, size_t limit,
                        ww_host_reply *reply) {
    meddler *m = (meddler *)user;
    int status;
    if (meddle(m, "scan", reply, &status)) return status;
    return table_scan(m->table, service, kind, after, m->ignore_limit ? SIZE_MAX : limit, reply);
}

static int meddler_commit(void *user, const ww_host_write *writes, size_t count, ww_host_reply *reply) {
    meddler *m = (meddler *)user;
    int status;
    if (meddle(m, "commit", reply, &status)) return status;
    return table_commit(m->table, writes, count, reply);
}

static void meddler_free(void *user) {
    meddler *m = (meddler *)user;
    if (m->freed != NULL) (*m->freed)++;
    table_store_free(m->table);
    free(m);
}

/* A meddler over a new table, freed with its service. NULL when out of memory. */
static meddler *meddler_new(ww_host_store *callbacks) {
    meddler *m = (meddler *)calloc(1, sizeof *m);
    if (m == NULL || (m->table = table_store_new()) == NULL) {
        free(m);
        return NULL;
    }
    m->where = "get";
    callbacks->user = m;
    callbacks->get = meddler_get;
    callbacks->list = meddler_list;
    callbacks->scan = meddler_scan;
    callbacks->commit = meddler_commit;
    callbacks->free_user = meddler_free;
    return m;
}

/* --- the scenarios ---------------------------------------------------------------------------- */

/* A scenario's service over a new table store (freed with the service). */
static ww_status table_service(const char *settings_json, void *ctx, ww_service **out_service) {
    table_store *t = table_store_new();
    ww_host_store callbacks = table_store_callbacks(t, 1);
    ww_status st;
    (void)ctx;
    if (t == NULL) return WW_STATUS_PANIC;
    st = ww_service_new_with_store(settings_json, &callbacks, out_service);
    if (st != WW_STATUS_OK) table_store_free(t);
    return st;
}

/* A scenario's service over a host whose listings answer every record after the cursor. */
static ww_status unlimited_service(const char *settings_json, void *ctx, ww_service **out_service) {
    ww_host_store callbacks;
    meddler *m = meddler_new(&callbacks);
    ww_status st;
    (void)ctx;
    if (m == NULL) return WW_STATUS_PANIC;
    m->ignore_limit = 1;
    st = ww_service_new_with_store(settings_json, &callbacks, out_service);
    if (st != WW_STATUS_OK) meddler_free(m);
    return st;
}

/* --- creating a service over a host store ------------------------------------------------------- */

static int freed_users;
static void count_free(void *user) {
    (void)user;
    freed_users++;
}

/* Copies member `key` of the JSON answer into `out`. */
static void member(const char *answer, const char *key, char *out, size_t cap) {
    char err[64];
    json_value *v = answer != NULL ? json_parse(answer, strlen(answer), err, sizeof err) : NULL;
    const char *s = json_str(v, key);
    out[0] = '\0';
    if (CHECK(s != NULL && strlen(s) < cap, "answer has %s: %s", key, answer != NULL ? answer : "(none)")) strcpy(out, s);
    json_free(v);
}

static void test_new_with_store(void) {
    table_store *t = table_store_new();
    ww_host_store callbacks = table_store_callbacks(t, 0), broken;
    ww_service *svc = NULL;
    char *out = NULL, *rows;
    const char *names[4] = {"store.get", "store.list", "store.scan", "store.commit"};
    size_t i;
    if (!CHECK(t != NULL, "table")) return;
    callbacks.free_user = count_free;

    /* A NULL callback, a store URL beside the host store, settings that are no JSON: nothing is
     * made, nothing kept, free_user is not called. */
    for (i = 0; i < 4; i++) {
        broken = callbacks;
        if (i == 0) broken.get = NULL;
        if (i == 1) broken.list = NULL;
        if (i == 2) broken.scan = NULL;
        if (i == 3) broken.commit = NULL;
        CHECK_STATUS(ww_service_new_with_store("{\"issuer\": \"Acme\"}", &broken, &svc), WW_STATUS_INVALID_PARAMETER,
                     names[i]);
        CHECK(strstr(last_message(), names[i]) != NULL && strcmp(last_detail(), "parameter") == 0,
              "the error names %s: %s (%s)", names[i], last_message(), last_detail());
    }
    CHECK_STATUS(ww_service_new_with_store("{\"issuer\": \"Acme\", \"store\": \"sqlite:///x.db\"}", &callbacks, &svc),
                 WW_STATUS_INVALID_PARAMETER, "a store URL beside a host store");
    CHECK(strstr(last_message(), "store") != NULL && strstr(last_message(), "x.db") == NULL, "names the setting: %s",
          last_message());
    CHECK_STATUS(ww_service_new_with_store("{\"issuer\": ", &callbacks, &svc), WW_STATUS_INVALID_PARAMETER,
                 "settings that are no JSON");
    CHECK_STATUS(ww_service_new_with_store("{}", &callbacks, &svc), WW_STATUS_INVALID_PARAMETER, "no issuer");
    CHECK(svc == NULL && freed_users == 0, "nothing made, free_user not called (%d)", freed_users);

    /* The table is copied: the program's copy may go once the call returned. The records go to
     * the host store in the service's namespace. */
    broken = callbacks;
    if (!CHECK_STATUS(ww_service_new_with_store("{\"issuer\": \"Acme\", \"service\": \"shop\"}", &broken, &svc),
                      WW_STATUS_OK, "service over a host store")) {
        table_store_free(t);
        return;
    }
    memset(&broken, 0, sizeof broken);
    CHECK_STATUS(ww_service_create_factor(svc, "host-0001-user", "phone", "", T0, &out), WW_STATUS_OK, "create_factor");
    ww_string_free(out);
    out = NULL;
    rows = table_store_dump(t);
    CHECK(table_store_count(t) == 2 && rows != NULL && strstr(rows, "shop entity host-0001-user host-0001-user") != NULL &&
              strstr(rows, "shop factor YF") != NULL,
          "an entity and a factor row in namespace shop: %s", rows != NULL ? rows : "(none)");
    free(rows);
    CHECK_STATUS(ww_service_list_entities(svc, T0, &out), WW_STATUS_OK, "list_entities");
    CHECK(out != NULL && strstr(out, "host-0001-user") != NULL, "listed: %s", out != NULL ? out : "(none)");
    ww_string_free(out);
    out = NULL;
    CHECK(freed_users == 0, "free_user waits for ww_service_free");
    ww_service_free(svc);
    CHECK(freed_users == 1, "ww_service_free calls free_user once (%d)", freed_users);
    /* Without free_user, the program frees its store itself; a second service reads the rows. */
    callbacks.free_user = NULL;
    svc = NULL;
    if (CHECK_STATUS(ww_service_new_with_store("{\"issuer\": \"Acme\", \"service\": \"shop\"}", &callbacks, &svc),
                     WW_STATUS_OK, "a second service over the same rows")) {
        CHECK_STATUS(ww_service_fetch_entity(svc, "host-0001-user", T0, &out), WW_STATUS_OK, "the entity is there");
        ww_string_free(out);
        ww_service_free(svc);
    }
    CHECK(freed_users == 1, "no free_user: nothing called");
    table_store_free(t);
}

/* --- hosts that answer wrongly -------------------------------------------------------------------- */

typedef enum { OP_FETCH_FACTOR, OP_LIST_FACTORS, OP_LIST_ENTITIES, OP_LOGIN } operation;

typedef struct {
    const char *where;
    fault fault;
    operation op;
    ww_status status;     /* what the operation returns */
    const char *says;     /* a fragment of its message */
    ww_status replied;    /* what the fault's reply call returned (WW_STATUS_OK when it made none) */
} wrong_answer;

static const wrong_answer WRONG[] = {
    {"get", FAULT_ERROR, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "the store failed: the database is on fire", WW_STATUS_OK},
    {"get", FAULT_SILENT_ERROR, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "WW_HOST_ERROR without a message", WW_STATUS_OK},
    {"get", FAULT_MALFORMED, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "cannot be read", WW_STATUS_OK},
    {"get", FAULT_OTHER_KEY, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "was answered with the record of", WW_STATUS_OK},
    {"get", FAULT_NOT_UTF8, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "not UTF-8 (byte 5", WW_STATUS_INVALID_UTF8},
    {"get", FAULT_NULL_TEXT, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "NULL pointer", WW_STATUS_NULL_ARGUMENT},
    {"get", FAULT_TWO_RECORDS, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "more than one record", WW_STATUS_OK},
    {"get", FAULT_UNKNOWN_STATUS, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "returned 7", WW_STATUS_OK},
    {"get", FAULT_CONFLICT, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "returned 1", WW_STATUS_OK},
    {"get", FAULT_OK_AFTER_ERROR, OP_FETCH_FACTOR, WW_STATUS_STORAGE, "WW_HOST_OK after answering an error", WW_STATUS_OK},
    {"get", FAULT_MALFORMED, OP_LOGIN, WW_STATUS_STORAGE, "cannot be read", WW_STATUS_OK},
    {"get", FAULT_NOT_UTF8, OP_LOGIN, WW_STATUS_STORAGE, "not UTF-8", WW_STATUS_INVALID_UTF8},
    {"list", FAULT_OTHER_KEY, OP_LIST_FACTORS, WW_STATUS_STORAGE, "another identity", WW_STATUS_OK},
    {"list", FAULT_ERROR, OP_LIST_FACTORS, WW_STATUS_STORAGE, "the database is on fire", WW_STATUS_OK},
    {"list", FAULT_MALFORMED, OP_LIST_FACTORS, WW_STATUS_STORAGE, "cannot be read", WW_STATUS_OK},
    {"scan", FAULT_MALFORMED, OP_LIST_ENTITIES, WW_STATUS_STORAGE, "cannot be read", WW_STATUS_OK},
    {"scan", FAULT_NOT_UTF8, OP_LIST_ENTITIES, WW_STATUS_STORAGE, "not UTF-8", WW_STATUS_INVALID_UTF8},
    {"scan", FAULT_UNKNOWN_STATUS, OP_LIST_ENTITIES, WW_STATUS_STORAGE, "returned 7", WW_STATUS_OK},
    {"commit", FAULT_ERROR, OP_LOGIN, WW_STATUS_STORAGE, "the database is on fire", WW_STATUS_OK},
    {"commit", FAULT_UNKNOWN_STATUS, OP_LOGIN, WW_STATUS_STORAGE, "returned 7", WW_STATUS_OK},
    {"commit", FAULT_RECORD_ON_COMMIT, OP_LOGIN, WW_STATUS_STORAGE, "a commit answers none", WW_STATUS_INVALID_PARAMETER},
    {"commit", FAULT_CONFLICT, OP_LOGIN, WW_STATUS_CONFLICT, "", WW_STATUS_OK},
};

static ww_status run_op(ww_service *svc, operation op, const char *identity, const char *factor, const char *code,
                        uint64_t now, char **out) {
    switch (op) {
    case OP_FETCH_FACTOR:
        return ww_service_fetch_factor(svc, identity, factor, now, out);
    case OP_LIST_FACTORS:
        return ww_service_list_factors(svc, identity, now, out);
    case OP_LIST_ENTITIES:
        return ww_service_list_entities(svc, now, out);
    default:
        return ww_service_create_challenge(svc, identity, factor, code, strlen(code), "", now, NULL, out);
    }
}

/* A verified factor of `identity`; its sid in `factor`, its key URI in `uri`. */
static void enroll(ww_service *svc, const char *identity, char *factor, char *uri, size_t cap) {
    char *out = NULL, code[WW_CODE_BUFFER_SIZE], err[64];
    json_value *v;
    const char *u;
    CHECK_STATUS(ww_service_create_factor(svc, identity, "phone", "", T0, &out), WW_STATUS_OK, "create_factor");
    member(out, "sid", factor, cap);
    v = out != NULL ? json_parse(out, strlen(out), err, sizeof err) : NULL;
    u = json_str(json_get(v, "binding"), "uri");
    snprintf(uri, cap, "%s", u != NULL ? u : "");
    json_free(v);
    ww_string_free(out);
    out = NULL;
    CHECK(app_code(uri, T0, code, sizeof code), "code");
    CHECK_STATUS(ww_service_verify_factor(svc, identity, factor, code, strlen(code), T0, NULL, &out), WW_STATUS_OK,
                 "verify_factor");
    ww_string_free(out);
}

static void test_wrong_answers(void) {
    ww_host_store callbacks;
    meddler *m = meddler_new(&callbacks);
    ww_service *svc = NULL;
    char factor[512], other[512], uri[512], spare_uri[512], code[WW_CODE_BUFFER_SIZE], *before, *after, *out = NULL;
    const char *id = "wrong-0001-user";
    size_t i;
    int freed = 0;
    if (!CHECK(m != NULL, "meddler")) return;
    m->freed = &freed;
    if (!CHECK_STATUS(ww_service_new_with_store("{\"issuer\": \"Acme\"}", &callbacks, &svc), WW_STATUS_OK, "service")) {
        meddler_free(m);
        return;
    }
    /* Two verified factors of one identity, one of another. */
    enroll(svc, id, factor, uri, sizeof factor);
    enroll(svc, id, other, spare_uri, sizeof other);
    snprintf(m->other_key, sizeof m->other_key, "%s", other);
    enroll(svc, "wrong-0002-user", other, spare_uri, sizeof other);
    snprintf(m->other_identity, sizeof m->other_identity, "%s", "wrong-0002-user");
    CHECK(app_code(uri, T0 + 60, code, sizeof code), "code");

    before = table_store_dump(m->table);
    for (i = 0; i < sizeof WRONG / sizeof WRONG[0]; i++) {
        const wrong_answer *w = &WRONG[i];
        char what[96];
        ww_status st;
        snprintf(what, sizeof what, "case %lu: %s fault %d", (unsigned long)i, w->where, (int)w->fault);
        m->where = w->where;
        m->fault = w->fault;
        m->replied = WW_STATUS_OK;
        out = NULL;
        st = run_op(svc, w->op, id, factor, code, T0 + 60, &out);
        m->fault = FAULT_NONE;
        CHECK_STATUS(st, w->status, what);
        CHECK(out == NULL, "%s: no answer written", what);
        CHECK(strstr(last_message(), w->says) != NULL, "%s: the message says \"%s\": %s", what, w->says, last_message());
        CHECK(strstr(last_message(), "\"v\"") == NULL && strstr(last_message(), "secret") == NULL,
              "%s: the message shows no record: %s", what, last_message());
        CHECK(m->replied == w->replied, "%s: the reply call returned %s, wanted %s", what, ww_status_kind(m->replied),
              ww_status_kind(w->replied));
        after = table_store_dump(m->table);
        CHECK(before != NULL && after != NULL && strcmp(before, after) == 0, "%s: the host's rows are unchanged", what);
        free(after);
        ww_string_free(out);
    }
    free(before);

    /* The same service works again, and the code none of the failures could use is approved once. */
    out = NULL;
    CHECK_STATUS(run_op(svc, OP_LOGIN, id, factor, code, T0 + 60, &out), WW_STATUS_OK, "login after the failures");
    CHECK(out != NULL && strstr(out, "\"result\":\"approved\"") != NULL, "approved: %s", out != NULL ? out : "(none)");
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(run_op(svc, OP_LOGIN, id, factor, code, T0 + 61, &out), WW_STATUS_OK, "the same code again");
    CHECK(out != NULL && strstr(out, "\"result\":\"replayed\"") != NULL, "replayed: %s", out != NULL ? out : "(none)");
    ww_string_free(out);
    ww_service_free(svc);
    CHECK(freed == 1, "the host store freed with its service");
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    unsigned long ops = run_scenarios(dir, "a host store", table_service, NULL);
    CHECK(ops > 100, "%lu operations over a host store", ops);
    ops = run_scenarios(dir, "a host store that ignores listing limits", unlimited_service, NULL);
    CHECK(ops > 100, "%lu operations over a host store that ignores limits", ops);
    test_new_with_store();
    test_wrong_answers();
    return finish("test_host_store");
}
