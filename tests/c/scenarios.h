/* The shared state scenarios (the JSON files of tests/vectors/scenarios) through the C ABI,
 * over any store: the runner takes the function that makes a scenario's service. */
#ifndef WW_TEST_SCENARIOS_H
#define WW_TEST_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "json.h"

/* Makes a fresh service for the settings of one scenario (`ctx` is run_scenarios' own). */
typedef ww_status (*service_maker)(const char *settings_json, void *ctx, ww_service **out_service);

/* Runs every scenario of VECTORS/scenarios, each on a service `make` makes (freed with
 * ww_service_free when the scenario ends), printing one line per scenario that names the
 * `store`. Returns the number of operations run. */
unsigned long run_scenarios(const char *vectors, const char *store, service_maker make, void *ctx);

/* The code an authenticator app shows at `at` for the key in `uri`, computed with the C ABI's
 * own URI parser and TOTP generator. Returns 0 on failure. */
int app_code(const char *uri, uint64_t at, char *code, size_t cap);

/* The items of a page of a list operation (`{"items": [...], "next_page_token": ...}`), or NULL
 * when the answer is no page. */
const json_value *page_items(const json_value *answer);

#endif
