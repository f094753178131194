/* The Verify service through the C ABI: every state scenario in tests/vectors/scenarios/
 * (forwarded to ww_service_call), every typed function against the generic call, every error
 * status a service over the in-memory store can produce with its last-error details, and the
 * refined Twilio codes of errors.json. Usage: test_service VECTORS_DIR */
#define _POSIX_C_SOURCE 200809L

#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"
#include "scenarios.h"

/* --- typed functions and statuses ----------------------------------------------------------- */

static const uint64_t T0 = 1700000000;

/* Parses a library answer; aborts the check on failure. */
static json_value *parse_answer(const char *answer) {
    char err[128];
    json_value *v = answer != NULL ? json_parse(answer, strlen(answer), err, sizeof err) : NULL;
    CHECK(v != NULL, "answer parses: %s", answer != NULL ? answer : "(none)");
    return v;
}

/* Copies a string member of an answer into `out`. */
static void answer_str(const char *answer, const char *key, char *out, size_t cap) {
    json_value *v = parse_answer(answer);
    const char *s = json_str(v, key);
    out[0] = '\0';
    if (CHECK(s != NULL && strlen(s) < cap, "answer has %s: %s", key, answer != NULL ? answer : "(none)")) {
        strcpy(out, s);
    }
    json_free(v);
}

/* Expects `st` to be `want` and the last error (JSON) to contain each of the fragments. */
static void expect_error(ww_status st, ww_status want, const char *what, const char *frag1, const char *frag2) {
    char *json = NULL;
    if (!CHECK_STATUS(st, want, what)) return;
    if (CHECK_STATUS(ww_last_error_json(&json), WW_STATUS_OK, "last error")) {
        CHECK((frag1 == NULL || strstr(json, frag1) != NULL) && (frag2 == NULL || strstr(json, frag2) != NULL),
              "%s: last error %s lacks %s / %s", what, json, frag1 != NULL ? frag1 : "-", frag2 != NULL ? frag2 : "-");
        ww_string_free(json);
    }
}

/* The answer of the typed function equals the generic call's answer for the same operation
 * on a second service that went through the same steps? The services' sids differ, so the
 * typed answers are checked field by field instead, in test_typed below. */

static void test_typed(void) {
    ww_service *svc = NULL;
    char *out = NULL, factor[64], challenge[64], uri[512], code[WW_CODE_BUFFER_SIZE], *record = NULL;
    const char *id = "typed-0001-user";
    json_value *v;
    if (!CHECK_STATUS(ww_service_new("{\"issuer\": \"Typed Inc\", \"challenge_expiration\": 600}", &svc), WW_STATUS_OK,
                      "service")) {
        return;
    }
    CHECK_STATUS(ww_service_create_entity(svc, id, T0, &out), WW_STATUS_OK, "create_entity");
    CHECK(out != NULL && strstr(out, "\"identity\":\"typed-0001-user\"") != NULL, "entity: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_fetch_entity(svc, id, T0, &out), WW_STATUS_OK, "fetch_entity");
    CHECK(out != NULL && strstr(out, "\"date_created\":\"2023-11-14T22:13:20Z\"") != NULL, "entity: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_entities(svc, T0, &out), WW_STATUS_OK, "list_entities");
    v = parse_answer(out);
    CHECK(v != NULL && page_items(v) != NULL && page_items(v)->count == 1, "one entity: %s", out);
    CHECK(v != NULL && json_get(v, "next_page_token") != NULL && json_get(v, "next_page_token")->type == JSON_NULL,
          "the only page: %s", out);
    json_free(v);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_create_entity(svc, "typed-0002-user", T0 + 1, &out), WW_STATUS_OK, "second entity");
    ww_string_free(out);
    out = NULL;
    /* Paging from C: one entity per page, the token of the first page leads to the second. */
    CHECK_STATUS(ww_service_list_entities_page(svc, "{\"limit\": 1}", T0 + 1, &out), WW_STATUS_OK, "first page");
    v = parse_answer(out);
    if (CHECK(v != NULL && page_items(v) != NULL && page_items(v)->count == 1 &&
                  json_str(v, "next_page_token") != NULL,
              "a page of one with a token: %s", out)) {
        char options[256];
        char *second = NULL;
        snprintf(options, sizeof options, "{\"limit\": 1, \"page_token\": \"%s\"}", json_str(v, "next_page_token"));
        CHECK_STATUS(ww_service_list_entities_page(svc, options, T0 + 1, &second), WW_STATUS_OK, "second page");
        CHECK(second != NULL && strstr(second, "\"identity\":\"typed-0002-user\"") != NULL &&
                  strstr(second, "\"next_page_token\":null") != NULL,
              "the second and last page: %s", second);
        ww_string_free(second);
    }
    json_free(v);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_entities_page(svc, "{\"limit\": 0}", T0 + 1, &out), WW_STATUS_INVALID_PARAMETER,
                 "limit 0");
    CHECK_STATUS(ww_service_delete_entity(svc, "typed-0002-user", T0 + 1, &out), WW_STATUS_OK, "delete second entity");
    ww_string_free(out);

    CHECK_STATUS(ww_service_create_factor(svc, id, "phone", "{\"metadata\": {\"os\": \"linux\"}}", T0, &out), WW_STATUS_OK,
                 "create_factor");
    answer_str(out, "sid", factor, sizeof factor);
    v = parse_answer(out);
    {
        const char *u = json_str(json_get(v, "binding"), "uri");
        CHECK(u != NULL && strlen(u) < sizeof uri, "binding.uri: %s", out);
        strcpy(uri, u != NULL ? u : "");
    }
    CHECK(strcmp(json_str(v, "status"), "unverified") == 0 && strcmp(json_str(json_get(v, "metadata"), "os"), "linux") == 0,
          "factor: %s", out);
    json_free(v);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_fetch_factor(svc, id, factor, T0, &out), WW_STATUS_OK, "fetch_factor");
    CHECK(out != NULL && strstr(out, "binding") == NULL && strstr(out, "secret") == NULL, "no secret: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_update_factor(svc, id, factor, "{\"friendly_name\": \"new phone\"}", T0 + 1, &out),
                 WW_STATUS_OK, "update_factor");
    CHECK(out != NULL && strstr(out, "\"friendly_name\":\"new phone\"") != NULL, "updated: %s", out);
    ww_string_free(out);

    CHECK(app_code(uri, T0 + 2, code, sizeof code), "code from the binding URI");
    CHECK_STATUS(ww_service_verify_factor(svc, id, factor, code, strlen(code), T0 + 2, NULL, &out), WW_STATUS_OK,
                 "verify_factor");
    CHECK(out != NULL && strstr(out, "\"status\":\"verified\"") && strstr(out, "\"result\":\"approved\""), "verified: %s",
          out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_factors(svc, id, T0 + 2, &out), WW_STATUS_OK, "list_factors");
    CHECK(out != NULL && strstr(out, factor) != NULL, "listed: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_factors_page(svc, id, "{\"limit\": 1}", T0 + 2, &out), WW_STATUS_OK,
                 "list_factors_page");
    CHECK(out != NULL && strstr(out, factor) != NULL && strstr(out, "\"next_page_token\":null") != NULL, "listed: %s",
          out);
    ww_string_free(out);

    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, "{\"details\": {\"message\": \"Login\", \"fields\": []}}",
                                             T0 + 40, NULL, &out),
                 WW_STATUS_OK, "create_challenge");
    answer_str(out, "sid", challenge, sizeof challenge);
    CHECK(out != NULL && strstr(out, "\"status\":\"pending\"") != NULL, "pending: %s", out);
    ww_string_free(out);
    CHECK(app_code(uri, T0 + 41, code, sizeof code), "code");
    CHECK_STATUS(ww_service_update_challenge(svc, id, challenge, code, strlen(code), "{\"metadata\": {\"ip\": \"::1\"}}",
                                             T0 + 41, NULL, &out),
                 WW_STATUS_OK, "update_challenge");
    CHECK(out != NULL && strstr(out, "\"status\":\"approved\"") && strstr(out, "\"result_offset\":0"), "approved: %s",
          out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_fetch_challenge(svc, id, challenge, T0 + 42, &out), WW_STATUS_OK, "fetch_challenge");
    CHECK(out != NULL && strstr(out, "\"date_responded\":\"2023-11-14T22:14:01Z\"") != NULL, "responded: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_challenges(svc, id, "{\"status\": \"approved\", \"order\": \"desc\"}", T0 + 42, &out),
                 WW_STATUS_OK, "list_challenges");
    CHECK(out != NULL && strstr(out, challenge) != NULL, "listed: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_challenges(svc, id, "", T0 + 42, &out), WW_STATUS_OK, "list_challenges, no options");
    ww_string_free(out);
    out = NULL;

    /* Export and import: the typed export answers the record itself, the generic call a JSON
     * string holding it; importing an unchanged record again is a conflict. */
    if (CHECK_STATUS(ww_service_export_factor(svc, factor, T0, &record), WW_STATUS_OK, "export_factor")) {
        CHECK(record[0] == '{' && strstr(record, "\"v\":3") != NULL, "factor record: %.60s", record);
        CHECK_STATUS(ww_service_import_factor(svc, record, T0, &out), WW_STATUS_CONFLICT, "re-import: conflict");
        CHECK(out == NULL, "no answer");
        ww_string_free(record);
    }
    if (CHECK_STATUS(ww_service_call(svc, "export_factor", "{\"factor_sid\": \"YF00000000000000000000000000000000\"}", T0,
                                     &out),
                     WW_STATUS_FACTOR_NOT_FOUND, "export_factor of an unknown sid")) {
    }
    {
        char args[128];
        snprintf(args, sizeof args, "{\"challenge_sid\": \"%s\"}", challenge);
        if (CHECK_STATUS(ww_service_call(svc, "export_challenge", args, T0, &out), WW_STATUS_OK, "export_challenge (call)")) {
            CHECK(out[0] == '"', "the generic call answers a JSON string: %.40s", out);
            ww_string_free(out);
        }
    }
    if (CHECK_STATUS(ww_service_export_entity(svc, id, T0, &record), WW_STATUS_OK, "export_entity")) {
        ww_service *other = NULL;
        char *factor_record = NULL, *challenge_record = NULL;
        CHECK_STATUS(ww_service_export_factor(svc, factor, T0, &factor_record), WW_STATUS_OK, "export_factor");
        CHECK_STATUS(ww_service_export_challenge(svc, challenge, T0, &challenge_record), WW_STATUS_OK, "export_challenge");
        /* Records move to another service (another process, another machine). */
        CHECK_STATUS(ww_service_new("{\"issuer\": \"Typed Inc\"}", &other), WW_STATUS_OK, "second service");
        CHECK_STATUS(ww_service_import_entity(other, record, T0, &out), WW_STATUS_OK, "import_entity");
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_import_factor(other, factor_record, T0, &out), WW_STATUS_OK, "import_factor");
        CHECK(out != NULL && strstr(out, "\"status\":\"verified\"") != NULL, "imported factor: %s", out);
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_import_challenge(other, challenge_record, T0 + 50, &out), WW_STATUS_OK,
                     "import_challenge");
        CHECK(out != NULL && strstr(out, "\"status\":\"approved\"") != NULL, "imported challenge: %s", out);
        ww_string_free(out);
        /* The replay floor travelled with the record: the approved code is replayed there. */
        CHECK(app_code(uri, T0 + 41, code, sizeof code), "code");
        {
            char options[64];
            snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", code);
            CHECK_STATUS(ww_service_create_challenge(other, id, factor, NULL, 0, options, T0 + 45, NULL, &out), WW_STATUS_OK,
                         "challenge with the used code");
            CHECK(out != NULL && strstr(out, "\"result\":\"replayed\"") != NULL, "replayed after import: %s", out);
            ww_string_free(out);
        }
        ww_service_free(other);
        ww_string_free(factor_record);
        ww_string_free(challenge_record);
        ww_string_free(record);
    }

    CHECK_STATUS(ww_service_unlock_factor(svc, id, factor, T0 + 60, &out), WW_STATUS_OK, "unlock_factor");
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_sweep(svc, T0 + 100000, &out), WW_STATUS_OK, "sweep");
    CHECK(out != NULL && strcmp(out, "0") == 0, "nothing to sweep: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_delete_factor(svc, id, factor, T0 + 60, &out), WW_STATUS_OK, "delete_factor");
    CHECK(out != NULL && strcmp(out, "null") == 0, "delete answers null: %s", out);
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_delete_entity(svc, id, T0 + 60, &out), WW_STATUS_OK, "delete_entity");
    ww_string_free(out);
    out = NULL;
    CHECK_STATUS(ww_service_list_entities(svc, T0 + 60, &out), WW_STATUS_OK, "list_entities");
    CHECK(out != NULL && strcmp(out, "{\"items\":[],\"next_page_token\":null}") == 0, "all gone: %s", out);
    ww_string_free(out);
    ww_service_free(svc);
}

/* Every error status a service over the in-memory store produces, from C, with its details. */
static void test_every_status(void) {
    ww_service *svc = NULL;
    char *out = NULL, factor[64], first[64], challenge[64], uri[512], code[WW_CODE_BUFFER_SIZE], wrong[8];
    const char *id = "status-0001-user";
    int i;
    json_value *v;
    const char *settings = "{\"issuer\": \"Acme\", \"factors_per_entity\": 2, \"factor_creations_per_day\": 3, "
                           "\"challenge_quota_hour\": 3, \"challenge_attempts\": 2, \"factor_verification_attempts\": 2}";
    if (!CHECK_STATUS(ww_service_new(settings, &svc), WW_STATUS_OK, "service")) return;

    expect_error(ww_service_fetch_entity(svc, id, T0, &out), WW_STATUS_ENTITY_NOT_FOUND, "entity_not_found",
                 "\"twilio_code\":60392", "\"http_status\":404");
    expect_error(ww_service_create_entity(svc, "short", T0, &out), WW_STATUS_INVALID_PARAMETER, "bad identity",
                 "\"twilio_code\":60367", "\"argument\":\"identity\"");
    CHECK_STATUS(ww_service_create_entity(svc, id, T0, &out), WW_STATUS_OK, "create_entity");
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_create_entity(svc, id, T0, &out), WW_STATUS_ENTITY_ALREADY_EXISTS, "entity_already_exists",
                 "\"twilio_code\":60301", "\"http_status\":409");
    expect_error(ww_service_create_factor(svc, id, "", "", T0, &out), WW_STATUS_INVALID_PARAMETER, "empty friendly_name",
                 "\"twilio_code\":60306", "friendly_name");
    expect_error(ww_service_create_factor(svc, id, "x", "{\"code_length\": 9}", T0, &out), WW_STATUS_INVALID_PARAMETER,
                 "code_length 9", "\"twilio_code\":60370", "\"argument\":\"code_length\"");
    expect_error(ww_service_create_factor(svc, id, "x", "{\"alg\": \"md5\"}", T0, &out), WW_STATUS_INVALID_PARAMETER,
                 "alg md5", "\"twilio_code\":60370", "config.alg");

    CHECK_STATUS(ww_service_create_factor(svc, id, "phone", "", T0, &out), WW_STATUS_OK, "factor 1");
    answer_str(out, "sid", factor, sizeof factor);
    strcpy(first, factor);
    v = parse_answer(out);
    strcpy(uri, json_str(json_get(v, "binding"), "uri") != NULL ? json_str(json_get(v, "binding"), "uri") : "");
    json_free(v);
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_fetch_factor(svc, id, "YF00000000000000000000000000000000", T0, &out),
                 WW_STATUS_FACTOR_NOT_FOUND, "factor_not_found", "\"twilio_code\":60390", "\"okta_code\":\"E0000007\"");
    expect_error(ww_service_create_challenge(svc, id, factor, NULL, 0, "", T0, NULL, &out), WW_STATUS_FACTOR_NOT_VERIFIED,
                 "factor_not_verified", "\"twilio_code\":60318", "\"http_status\":403");

    /* Enrollment attempts: 2 wrong codes, then 60310. */
    CHECK(app_code(uri, T0, code, sizeof code), "code");
    strcpy(wrong, code[0] == '9' ? "000000" : "999999");
    for (i = 0; i < 2; i++) {
        CHECK_STATUS(ww_service_verify_factor(svc, id, factor, wrong, 6, T0 + 1, NULL, &out), WW_STATUS_OK, "wrong enrollment");
        CHECK(out != NULL && strstr(out, "\"result\":\"invalid_code\"") != NULL, "invalid_code: %s", out);
        ww_string_free(out);
        out = NULL;
    }
    expect_error(ww_service_verify_factor(svc, id, factor, code, 6, T0 + 1, NULL, &out),
                 WW_STATUS_FACTOR_VERIFICATION_ATTEMPTS_REACHED, "factor_verification_attempts_reached",
                 "\"twilio_code\":60310", "\"http_status\":429");

    /* A second factor, verified; a third is over factors_per_entity, a fourth creation over the day's quota. */
    CHECK_STATUS(ww_service_create_factor(svc, id, "laptop", "", T0, &out), WW_STATUS_OK, "factor 2");
    answer_str(out, "sid", factor, sizeof factor);
    v = parse_answer(out);
    strcpy(uri, json_str(json_get(v, "binding"), "uri") != NULL ? json_str(json_get(v, "binding"), "uri") : "");
    json_free(v);
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_create_factor(svc, id, "tablet", "", T0, &out), WW_STATUS_FACTOR_LIMIT_REACHED,
                 "factor_limit_reached", "\"twilio_code\":60315", "\"http_status\":400");
    CHECK(app_code(uri, T0 + 5, code, sizeof code), "code");
    CHECK_STATUS(ww_service_verify_factor(svc, id, factor, code, 6, T0 + 5, NULL, &out), WW_STATUS_OK, "verify factor 2");
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_verify_factor(svc, id, factor, code, 6, T0 + 6, NULL, &out), WW_STATUS_ILLEGAL_FACTOR_STATUS,
                 "illegal_factor_status", "\"twilio_code\":60383", "\"okta_code\":\"E0000154\"");
    {
        /* Deleting the first factor makes room, but the creations of the day are used up (3). */
        char third[64];
        CHECK_STATUS(ww_service_delete_factor(svc, id, first, T0, &out), WW_STATUS_OK, "delete factor 1");
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_create_factor(svc, id, "third", "", T0, &out), WW_STATUS_OK, "factor 3");
        answer_str(out, "sid", third, sizeof third);
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_delete_factor(svc, id, first, T0, &out), WW_STATUS_FACTOR_NOT_FOUND, "deleted factor");
        CHECK_STATUS(ww_service_delete_factor(svc, id, third, T0, &out), WW_STATUS_OK, "delete factor 3");
        ww_string_free(out);
        out = NULL;
    }
    expect_error(ww_service_create_factor(svc, id, "fourth", "", T0, &out), WW_STATUS_FACTOR_CREATION_RATE_LIMITED,
                 "factor_creation_rate_limited", "\"twilio_code\":60326", "\"okta_code\":\"E0000047\"");

    /* Challenges: attempts (2), already responded, expired, not found, quota (3 per hour). */
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, "", T0 + 60, NULL, &out), WW_STATUS_OK, "challenge 1");
    answer_str(out, "sid", challenge, sizeof challenge);
    ww_string_free(out);
    out = NULL;
    CHECK(app_code(uri, T0 + 60, code, sizeof code), "code");
    strcpy(wrong, code[0] == '9' ? "000000" : "999999");
    for (i = 0; i < 2; i++) {
        CHECK_STATUS(ww_service_update_challenge(svc, id, challenge, wrong, 6, "", T0 + 61, NULL, &out), WW_STATUS_OK,
                     "wrong answer");
        ww_string_free(out);
        out = NULL;
    }
    expect_error(ww_service_update_challenge(svc, id, challenge, code, 6, "", T0 + 61, NULL, &out),
                 WW_STATUS_CHALLENGE_ATTEMPTS_REACHED, "challenge_attempts_reached", "\"twilio_code\":60308", NULL);
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, "", T0 + 62, NULL, &out), WW_STATUS_OK, "challenge 2");
    answer_str(out, "sid", challenge, sizeof challenge);
    ww_string_free(out);
    out = NULL;
    CHECK(app_code(uri, T0 + 62, code, sizeof code), "code");
    CHECK_STATUS(ww_service_update_challenge(svc, id, challenge, code, 6, "", T0 + 62, NULL, &out), WW_STATUS_OK, "approve");
    CHECK(out != NULL && strstr(out, "\"status\":\"approved\"") != NULL, "approved: %s", out);
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_update_challenge(svc, id, challenge, code, 6, "", T0 + 63, NULL, &out),
                 WW_STATUS_CHALLENGE_ALREADY_RESPONDED, "challenge_already_responded", "\"twilio_code\":60322", NULL);
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, "{\"expiration_date\": 1700000100}", T0 + 64, NULL, &out),
                 WW_STATUS_OK, "challenge 3");
    answer_str(out, "sid", challenge, sizeof challenge);
    ww_string_free(out);
    out = NULL;
    expect_error(ww_service_update_challenge(svc, id, challenge, code, 6, "", T0 + 100, NULL, &out),
                 WW_STATUS_CHALLENGE_EXPIRED, "challenge_expired", "\"twilio_code\":60323", NULL);
    expect_error(ww_service_fetch_challenge(svc, id, "YC00000000000000000000000000000000", T0, &out),
                 WW_STATUS_CHALLENGE_NOT_FOUND, "challenge_not_found", "\"twilio_code\":60391", NULL);
    expect_error(ww_service_create_challenge(svc, id, factor, NULL, 0, "", T0 + 65, NULL, &out), WW_STATUS_CHALLENGE_CREATION_LIMIT_REACHED,
                 "challenge_creation_limit_reached", "\"twilio_code\":60312", NULL);

    /* Conflict: importing a record no newer than the stored one. */
    {
        char *record = NULL;
        CHECK_STATUS(ww_service_export_entity(svc, id, T0, &record), WW_STATUS_OK, "export");
        expect_error(ww_service_import_entity(svc, record, T0, &out), WW_STATUS_CONFLICT, "conflict", "\"http_status\":409",
                     "\"twilio_code\":null");
        ww_string_free(record);
    }
    CHECK(out == NULL, "no failed call wrote its out-parameter");
    ww_service_free(svc);

    /* Lockout: 3 consecutive failed answers lock the verified factor for 60 s. */
    svc = NULL;
    if (!CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"lockout_threshold\": 3, \"lockout_seconds\": 60}", &svc),
                      WW_STATUS_OK, "lockout service")) {
        return;
    }
    CHECK_STATUS(ww_service_create_factor(svc, id, "phone", "", T0, &out), WW_STATUS_OK, "factor");
    answer_str(out, "sid", factor, sizeof factor);
    v = parse_answer(out);
    strcpy(uri, json_str(json_get(v, "binding"), "uri") != NULL ? json_str(json_get(v, "binding"), "uri") : "");
    json_free(v);
    ww_string_free(out);
    out = NULL;
    CHECK(app_code(uri, T0, code, sizeof code), "code");
    CHECK_STATUS(ww_service_verify_factor(svc, id, factor, code, 6, T0, NULL, &out), WW_STATUS_OK, "verify");
    ww_string_free(out);
    out = NULL;
    CHECK(app_code(uri, T0 + 100, code, sizeof code), "code");
    strcpy(wrong, code[0] == '9' ? "000000" : "999999");
    for (i = 0; i < 3; i++) {
        char options[64];
        snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", wrong);
        CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, options, T0 + 100 + (uint64_t)i, NULL, &out), WW_STATUS_OK,
                     "failed answer");
        CHECK(out != NULL && strstr(out, "\"result\":\"invalid_code\"") != NULL, "invalid_code: %s", out);
        ww_string_free(out);
        out = NULL;
    }
    {
        char options[64];
        snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", code);
        expect_error(ww_service_create_challenge(svc, id, factor, NULL, 0, options, T0 + 103, NULL, &out), WW_STATUS_FACTOR_LOCKED,
                     "factor_locked", "\"until\":1700000162", "\"okta_code\":\"E0000069\"");
        CHECK(strstr(last_message(), "1700000162") != NULL, "the message says until when: %s", last_message());
        CHECK_STATUS(ww_service_unlock_factor(svc, id, factor, T0 + 104, &out), WW_STATUS_OK, "unlock");
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, options, T0 + 105, NULL, &out), WW_STATUS_OK,
                     "after the unlock");
        CHECK(out != NULL && strstr(out, "\"status\":\"approved\"") != NULL, "approved after unlock: %s", out);
        ww_string_free(out);
    }
    ww_service_free(svc);
}

/* The `store` and `service` settings: a malformed store URL is an invalid parameter, a store
 * that cannot be opened a storage error, and neither message repeats the URL. */
static void test_store_settings(void) {
    ww_service *svc = NULL;
    char *out = NULL;
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"store\": \"mongodb://user:hunter2@db/x\"}", &svc),
                 WW_STATUS_INVALID_PARAMETER, "an unknown store scheme");
    CHECK(svc == NULL, "no service on failure");
    CHECK(strstr(last_message(), "store") != NULL && strstr(last_message(), "hunter2") == NULL &&
              strstr(last_message(), "mongodb://") == NULL,
          "names the setting, never the URL: %s", last_message());
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"store\": \"\"}", &svc), WW_STATUS_INVALID_PARAMETER,
                 "an empty store URL");
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"store\": 7}", &svc), WW_STATUS_INVALID_PARAMETER,
                 "a store URL that is no string");
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"store\": "
                                "\"sqlite:////nonexistent-watchword-dir/sub/hunter2.db\"}",
                                &svc),
                 WW_STATUS_STORAGE, "a SQLite file in a directory that does not exist");
    CHECK(svc == NULL && strstr(last_message(), "hunter2") == NULL, "never the path: %s", last_message());
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"service\": \"no spaces\"}", &svc),
                 WW_STATUS_INVALID_PARAMETER, "a service name with a space");
    if (CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"store\": \"memory:\", \"service\": \"shop\"}", &svc),
                     WW_STATUS_OK, "memory: with a service namespace")) {
        CHECK_STATUS(ww_service_create_entity(svc, "store-0001-user", T0, &out), WW_STATUS_OK, "entity");
        ww_string_free(out);
        out = NULL;
        CHECK_STATUS(ww_service_list_entities(svc, T0, &out), WW_STATUS_OK, "list");
        CHECK(out != NULL && strstr(out, "store-0001-user") != NULL, "listed: %s", out);
        ww_string_free(out);
        ww_service_free(svc);
    }
}

/* Sealed records: keys in the settings JSON as Base64, a SQLite file that holds no secret, and
 * reseal after a rotation; ww_secret_key_generate gives 32 fresh bytes. */
static void test_sealed(void) {
    ww_service *svc = NULL;
    char *out = NULL;
    char settings[512], path[] = "/tmp/ww-sealed-XXXXXX", secret[64], factor[64];
    unsigned char a[32], b[32], small[8];
    size_t len = 0, i, n;
    char *dump;
    FILE *f;
    const char *k1 = "\"k1\": \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"";
    const char *k2 = "\"k2\": \"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\"";
    int fd;

    CHECK_STATUS(ww_secret_key_generate(a, sizeof a, &len), WW_STATUS_OK, "key a");
    CHECK(len == 32, "32 bytes: %zu", len);
    CHECK_STATUS(ww_secret_key_generate(b, sizeof b, &len), WW_STATUS_OK, "key b");
    CHECK(memcmp(a, b, sizeof a) != 0, "two keys differ");
    CHECK_STATUS(ww_secret_key_generate(small, sizeof small, &len), WW_STATUS_BUFFER_TOO_SMALL, "small buffer");
    CHECK(len == 32, "the size needed: %zu", len);
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"secret_keys\": {\"k1\": \"AQEB\"}, "
                                "\"active_secret_key\": \"k1\"}",
                                &svc),
                 WW_STATUS_INVALID_PARAMETER, "a short key");
    CHECK(strstr(last_message(), "secret_keys") != NULL && strstr(last_message(), "AQEB") == NULL, "%s", last_message());

    fd = mkstemp(path);
    if (!CHECK(fd >= 0, "temp file")) return;
    close(fd);
    remove(path);
    snprintf(settings, sizeof settings,
             "{\"issuer\": \"Acme\", \"store\": \"sqlite:///%s\", \"secret_keys\": {%s}, \"active_secret_key\": \"k1\"}",
             path, k1);
    if (!CHECK_STATUS(ww_service_new(settings, &svc), WW_STATUS_OK, "sealed service")) return;
    CHECK_STATUS(ww_service_create_factor(svc, "sealed-0001-user", "Ada-sealed-phone", "", T0, &out), WW_STATUS_OK,
                 "create_factor");
    answer_str(out, "sid", factor, sizeof factor);
    {
        json_value *v = parse_answer(out);
        const char *s = json_str(json_get(v, "binding"), "secret");
        snprintf(secret, sizeof secret, "%s", s != NULL ? s : "");
        json_free(v);
    }
    ww_string_free(out);
    ww_service_free(svc);
    f = fopen(path, "rb");
    if (CHECK(f != NULL, "the database file")) {
        dump = (char *)calloc(1, 1 << 20);
        n = fread(dump, 1, (1 << 20) - 1, f);
        fclose(f);
        for (i = 0; i < n; i++) {
            if (dump[i] == '\0') dump[i] = ' ';
        }
        CHECK(strlen(secret) > 0 && strstr(dump, secret) == NULL && strstr(dump, "Ada-sealed-phone") == NULL,
              "the file holds no secret and no friendly name");
        CHECK(strstr(dump, "\"kid\":\"k1\"") != NULL, "the file holds sealed records");
        free(dump);
    }
    /* Rotation: k2 active, k1 still read; reseal rewrites the entity and the factor. */
    snprintf(settings, sizeof settings,
             "{\"issuer\": \"Acme\", \"store\": \"sqlite:///%s\", \"secret_keys\": {%s, %s}, \"active_secret_key\": \"k2\"}",
             path, k1, k2);
    if (CHECK_STATUS(ww_service_new(settings, &svc), WW_STATUS_OK, "rotated service")) {
        CHECK_STATUS(ww_service_reseal(svc, T0, &out), WW_STATUS_OK, "reseal");
        CHECK(out != NULL && strcmp(out, "2") == 0, "two records resealed: %s", out);
        ww_string_free(out);
        CHECK_STATUS(ww_service_call(svc, "reseal", "", T0, &out), WW_STATUS_OK, "reseal again");
        CHECK(out != NULL && strcmp(out, "0") == 0, "nothing left: %s", out);
        ww_string_free(out);
        ww_service_free(svc);
    }
    snprintf(settings, sizeof settings,
             "{\"issuer\": \"Acme\", \"store\": \"sqlite:///%s\", \"secret_keys\": {%s}, \"active_secret_key\": \"k1\"}",
             path, k1);
    if (CHECK_STATUS(ww_service_new(settings, &svc), WW_STATUS_OK, "the old ring")) {
        expect_error(ww_service_fetch_factor(svc, "sealed-0001-user", factor, T0, &out), WW_STATUS_STORAGE,
                     "a record under a key not in the ring", "k2", "not in the key ring");
        ww_service_free(svc);
    }
    remove(path);
}

/* The code-checking calls fill a ww_outcome, with or without the JSON view. */
static void test_outcome(void) {
    ww_service *svc = NULL;
    ww_outcome o;
    char *out = NULL;
    char factor[64], uri[512], challenge[64], code[16], wrong[16], options[64];
    const char *id = "outcome-0001-user";
    json_value *v;

    if (!CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\"}", &svc), WW_STATUS_OK, "service")) return;
    CHECK_STATUS(ww_service_create_factor(svc, id, "phone", "", T0, &out), WW_STATUS_OK, "create_factor");
    answer_str(out, "sid", factor, sizeof factor);
    v = parse_answer(out);
    snprintf(uri, sizeof uri, "%s", json_str(json_get(v, "binding"), "uri") != NULL ? json_str(json_get(v, "binding"), "uri") : "");
    json_free(v);
    ww_string_free(out);

    /* A wrong enrollment code: no offset, the factor stays unverified; no JSON asked for. */
    CHECK(app_code(uri, T0, code, sizeof code), "code");
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    memset(&o, 0xff, sizeof o);
    CHECK_STATUS(ww_service_verify_factor(svc, id, factor, wrong, strlen(wrong), T0, &o, NULL), WW_STATUS_OK,
                 "verify_factor wrong");
    CHECK(o.checked && o.result == WW_RESULT_INVALID_CODE && !o.has_offset && o.offset == 0 &&
              strcmp(o.status, "unverified") == 0,
          "wrong enrollment code: checked %d result %u offset %lld status %s", o.checked, (unsigned)o.result,
          (long long)o.offset, o.status);
    CHECK_STATUS(ww_service_verify_factor(svc, id, factor, code, strlen(code), T0, &o, NULL), WW_STATUS_OK,
                 "verify_factor");
    CHECK(o.checked && o.result == WW_RESULT_APPROVED && o.has_offset && o.offset == 0 && strcmp(o.status, "verified") == 0,
          "enrolled: result %u status %s", (unsigned)o.result, o.status);

    /* A login with the code as a parameter, both outputs at once: they agree. */
    CHECK(app_code(uri, T0 + 30, code, sizeof code), "code");
    out = NULL;
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, code, strlen(code), "", T0 + 30, &o, &out), WW_STATUS_OK,
                 "create_challenge with a code");
    CHECK(o.checked && o.result == WW_RESULT_APPROVED && o.offset == 0 && strcmp(o.status, "approved") == 0 && out != NULL &&
              strstr(out, "\"result\":\"approved\"") != NULL && strstr(out, "\"status\":\"approved\"") != NULL,
          "login: %s", out != NULL ? out : "(no json)");
    ww_string_free(out);
    /* The same code again, neither output wanted: only the status says it ran. */
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, code, strlen(code), "", T0 + 31, NULL, NULL), WW_STATUS_OK,
                 "again, no outputs");
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, code, strlen(code), "", T0 + 32, &o, NULL), WW_STATUS_OK,
                 "again");
    CHECK(o.checked && o.result == WW_RESULT_REPLAYED && o.has_offset && strcmp(o.status, "pending") == 0,
          "replayed: result %u status %s", (unsigned)o.result, o.status);
    /* A code of the previous step: approved with offset -1. */
    CHECK(app_code(uri, T0 + 60, code, sizeof code), "code");
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, code, strlen(code), "", T0 + 90, &o, NULL), WW_STATUS_OK,
                 "a slow phone");
    CHECK(o.result == WW_RESULT_APPROVED && o.has_offset && o.offset == -1, "offset %lld", (long long)o.offset);

    /* Without a code: nothing checked; then answered with update_challenge. */
    out = NULL;
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, NULL, 0, "", T0 + 120, &o, &out), WW_STATUS_OK,
                 "create_challenge without a code");
    CHECK(!o.checked && strcmp(o.status, "pending") == 0, "pending: checked %d status %s", o.checked, o.status);
    answer_str(out, "sid", challenge, sizeof challenge);
    ww_string_free(out);
    CHECK(app_code(uri, T0 + 121, code, sizeof code), "code");
    CHECK_STATUS(ww_service_update_challenge(svc, id, challenge, code, strlen(code), "", T0 + 121, &o, NULL), WW_STATUS_OK,
                 "update_challenge");
    CHECK(o.checked && o.result == WW_RESULT_APPROVED && strcmp(o.status, "approved") == 0, "answered: %s", o.status);

    /* A code both as a parameter and in the options is refused, and changes nothing. */
    snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", code);
    CHECK_STATUS(ww_service_create_challenge(svc, id, factor, code, strlen(code), options, T0 + 150, &o, NULL),
                 WW_STATUS_INVALID_PARAMETER, "code twice");
    /* A failure leaves the outcome alone. */
    memset(&o, 0, sizeof o);
    CHECK_STATUS(ww_service_update_challenge(svc, id, challenge, code, strlen(code), "", T0 + 122, &o, NULL),
                 WW_STATUS_CHALLENGE_ALREADY_RESPONDED, "answered twice");
    CHECK(!o.checked && o.status == NULL, "outcome untouched on failure");
    ww_service_free(svc);
}

/* A scenario's service over the in-memory store. */
static ww_status memory_service(const char *settings_json, void *ctx, ww_service **out_service) {
    (void)ctx;
    return ww_service_new(settings_json, out_service);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    run_scenarios(dir, "memory:", memory_service, NULL);
    test_typed();
    test_outcome();
    test_every_status();
    test_store_settings();
    test_sealed();
    return finish("test_service");
}
