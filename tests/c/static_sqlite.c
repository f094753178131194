/* The static library links beside the host's own SQLite (-lsqlite3): the host's sqlite3_*
 * calls reach its SQLite, and watchword's SQLite store keeps working on its bundled copy. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watchword.h"

int main(int argc, char **argv) {
    ww_service *service = NULL;
    char settings[1024];
    char *entity = NULL;
    sqlite3 *db = NULL;
    int failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DATABASE\n", argv[0]);
        return 2;
    }
    /* The host's SQLite is the system's: its version matches the header it was built with. */
    if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0) {
        printf("FAIL: sqlite3_libversion() is %s, the host's header says %s\n", sqlite3_libversion(), SQLITE_VERSION);
        failed++;
    }
    if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) != SQLITE_OK) {
        printf("FAIL: the host's SQLite does not work\n");
        failed++;
    }
    sqlite3_close(db);
    snprintf(settings, sizeof settings, "{\"issuer\":\"Acme\",\"store\":\"sqlite:///%s\"}", argv[1]);
    if (ww_service_new(settings, &service) != WW_STATUS_OK) {
        printf("FAIL: ww_service_new on a SQLite store\n");
        return 1;
    }
    if (ww_service_create_entity(service, "user-0001-static", 1700000000, &entity) != WW_STATUS_OK) {
        printf("FAIL: create_entity on the SQLite store\n");
        failed++;
    }
    ww_string_free(entity);
    ww_service_free(service);
    printf("static_sqlite: %d passed, %d failed\n", 3 - failed, failed);
    return failed != 0;
}
