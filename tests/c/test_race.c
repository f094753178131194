/* The replay race (race.c) through one shared service handle, over the in-memory store and
 * over a host store written in C (table_store.c), 200 rounds each on a fresh factor.
 * WW_TEST_RACE_ROUNDS (default 200) sets the number of rounds. Usage: test_race */
#include "harness.h"
#include "race.h"
#include "table_store.h"

int main(void) {
    long rounds = race_rounds_wanted();
    ww_service *svc = NULL;
    table_store *table = table_store_new();
    ww_host_store callbacks = table_store_callbacks(table, 1);
    if (CHECK_STATUS(ww_service_new(RACE_SETTINGS, &svc), WW_STATUS_OK, "service")) {
        race_rounds(svc, rounds, "the in-memory store");
        ww_service_free(svc);
    }
    svc = NULL;
    if (CHECK(table != NULL, "table store") &&
        CHECK_STATUS(ww_service_new_with_store(RACE_SETTINGS, &callbacks, &svc), WW_STATUS_OK, "service over a host store")) {
        race_rounds(svc, rounds, "a host store");
        /* An entity, a factor and 17 challenges a round; then, in a tenth as many rounds, an
         * entity, a recovery-codes factor and 16 challenges. */
        CHECK(table_store_count(table) == (size_t)rounds * 19 + (size_t)((rounds + 9) / 10) * 18, "%lu rows",
              (unsigned long)table_store_count(table));
        ww_service_free(svc); /* frees the table */
    } else {
        table_store_free(table);
    }
    return finish("test_race");
}
