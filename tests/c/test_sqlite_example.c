/* The host store of examples/c/sqlite_store.c, as a reader copies it, through every state
 * scenario (each on a fresh in-memory SQLite database behind the example's callbacks) and the
 * 16-thread replay race of race.c. Built by `make c-example` (it links the system's SQLite).
 * Usage: test_sqlite_example VECTORS_DIR */
#define main sqlite_store_example_main
#include "../../examples/c/sqlite_store.c"
#undef main

#include "harness.h"
#include "race.h"
#include "scenarios.h"

static void close_store(void *user) {
    sql_store *s = (sql_store *)user;
    pthread_mutex_destroy(&s->lock);
    sqlite3_close(s->db);
    free(s);
}

/* A scenario's service over the example's store on a new in-memory database. */
static ww_status sqlite_service(const char *settings_json, void *ctx, ww_service **out_service) {
    sql_store *s = (sql_store *)calloc(1, sizeof *s);
    ww_host_store callbacks = {NULL, sql_get, sql_list, sql_scan, sql_commit, close_store};
    ww_status st;
    (void)ctx;
    if (s == NULL) return WW_STATUS_PANIC;
    if (sqlite3_open(":memory:", &s->db) != SQLITE_OK || sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(s->db);
        free(s);
        return WW_STATUS_STORAGE;
    }
    pthread_mutex_init(&s->lock, NULL);
    callbacks.user = s;
    st = ww_service_new_with_store(settings_json, &callbacks, out_service);
    if (st != WW_STATUS_OK) close_store(s);
    return st;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    unsigned long ops = run_scenarios(dir, "the SQLite host store of examples/c", sqlite_service, NULL);
    ww_service *svc = NULL;
    CHECK(ops > 100, "%lu operations over the example's store", ops);
    if (CHECK_STATUS(sqlite_service(RACE_SETTINGS, NULL, &svc), WW_STATUS_OK, "race service")) {
        race_rounds(svc, race_rounds_wanted(), "the SQLite host store of examples/c");
        ww_service_free(svc);
    }
    return finish("test_sqlite_example");
}
