/* The conventions of the C ABI, function by function: NULL for every pointer argument, the
 * size-query idiom and buffer-too-small, outputs untouched on failure, invalid UTF-8, enum
 * numbers validated, _free(NULL), versions, the status table, the per-thread last error.
 * Usage: test_abi */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const uint8_t SECRET[20] = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
                                   '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
static const char *SETTINGS = "{\"issuer\": \"Acme\"}";
static const char *IDENTITY = "user-0001-abcd";
static const uint64_t NOW = 1700000000;
/* The answer of a list operation that found nothing. */
static const char *EMPTY_PAGE = "{\"items\":[],\"next_page_token\":null}";

/* Expects WW_STATUS_NULL_ARGUMENT naming `arg` in the last error. */
static void expect_null(ww_status st, const char *fn, const char *arg) {
    char what[160];
    snprintf(what, sizeof what, "%s(%s = NULL)", fn, arg);
    if (CHECK_STATUS(st, WW_STATUS_NULL_ARGUMENT, what)) {
        CHECK(strcmp(last_detail(), arg) == 0, "%s: the last error names %s, not %s", what, last_detail(), arg);
        CHECK(strstr(last_message(), arg) != NULL, "%s: message: %s", what, last_message());
    }
}

/* A string the library answered with, or "(none)". */
static const char *or_none(const char *s) { return s != NULL ? s : "(none)"; }

static void test_versions(void) {
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", WW_VERSION_MAJOR, WW_VERSION_MINOR, WW_VERSION_PATCH);
    CHECK(strcmp(ww_version(), want) == 0, "ww_version() %s matches the header's %s", ww_version(), want);
    CHECK(ww_abi_version() == WW_ABI_VERSION, "ww_abi_version() %u", ww_abi_version());
    CHECK(WW_CODE_BUFFER_SIZE == 11, "WW_CODE_BUFFER_SIZE");
}

static void test_free_null(void) {
    ww_totp_free(NULL);
    ww_hotp_free(NULL);
    ww_service_free(NULL);
    ww_string_free(NULL);
    CHECK(1, "every _free(NULL) is a no-op");
}

static void test_status_table(void) {
    /* Every number 0..200: known statuses describe themselves, others are "unknown". */
    static const uint32_t known[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 100, 101, 102, 103};
    static const char *ffi_kinds[] = {"null_argument", "buffer_too_small", "invalid_utf8", "panic"};
    uint32_t n;
    size_t k = 0;
    for (n = 0; n <= 200; n++) {
        int is_known = k < sizeof known / sizeof known[0] && known[k] == n;
        if (is_known) {
            k++;
            CHECK(strcmp(ww_status_kind(n), "unknown") != 0, "status %u has a kind", n);
            CHECK(strcmp(ww_status_message(n), "unknown status") != 0 && ww_status_message(n)[0] != '\0',
                  "status %u has a message", n);
        } else {
            CHECK(strcmp(ww_status_kind(n), "unknown") == 0, "status %u is unknown", n);
            CHECK(strcmp(ww_status_message(n), "unknown status") == 0, "status %u: message", n);
            CHECK(ww_status_twilio_code(n) == 0 && ww_status_http_status(n) == 0, "status %u: no codes", n);
            CHECK(strcmp(ww_status_okta_code(n), "") == 0, "status %u: no okta code", n);
        }
    }
    CHECK(strcmp(ww_status_kind(WW_STATUS_OK), "ok") == 0 && ww_status_http_status(WW_STATUS_OK) == 200, "ok");
    for (n = 0; n < 4; n++) {
        uint32_t status = 100 + n;
        CHECK(strcmp(ww_status_kind(status), ffi_kinds[n]) == 0, "status %u is %s", status, ffi_kinds[n]);
        CHECK(ww_status_twilio_code(status) == 0, "status %u has no Twilio code", status);
    }
    CHECK(ww_status_http_status(WW_STATUS_NULL_ARGUMENT) == 400 && ww_status_http_status(WW_STATUS_INVALID_UTF8) == 400 &&
              ww_status_http_status(WW_STATUS_PANIC) == 500 && ww_status_http_status(WW_STATUS_BUFFER_TOO_SMALL) == 0,
          "HTTP statuses of the ABI-only statuses");
    /* Statuses that no call can produce here are described all the same. */
    CHECK(strcmp(ww_status_kind(WW_STATUS_STORAGE), "storage") == 0 && ww_status_http_status(WW_STATUS_STORAGE) == 500,
          "storage (only a failing host store produces it; core tests that)");
    CHECK(strcmp(ww_status_kind(WW_STATUS_PANIC), "panic") == 0 && strstr(ww_status_message(WW_STATUS_PANIC), "panic"),
          "panic (the Rust tests drive a panic through the boundary)");
    CHECK(strcmp(ww_result_name(4), "unknown") == 0 && strcmp(ww_result_okta_code(4), "") == 0, "result 4 is unknown");
}

static void test_null_arguments(void) {
    uint8_t bytes[64];
    char buf[256];
    size_t len = 0;
    uint64_t step = 0;
    char *str = NULL;
    ww_totp *totp = NULL;
    ww_hotp *hotp = NULL;
    ww_service *svc = NULL;
    ww_totp_result tr;
    ww_hotp_result hr;
    const char *code = "123456";

    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), WW_STATUS_OK, "ww_totp_new");
    CHECK_STATUS(ww_hotp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, &hotp), WW_STATUS_OK, "ww_hotp_new");
    CHECK_STATUS(ww_service_new(SETTINGS, &svc), WW_STATUS_OK, "ww_service_new");

    /* The last-error readers leave the last error alone, so they are checked by status only. */
    CHECK_STATUS(ww_last_error_message(NULL, 10, &len), WW_STATUS_NULL_ARGUMENT, "ww_last_error_message(buf = NULL)");
    CHECK_STATUS(ww_last_error_message(buf, sizeof buf, NULL), WW_STATUS_NULL_ARGUMENT,
                 "ww_last_error_message(out_len = NULL)");
    CHECK_STATUS(ww_last_error_detail(NULL, 10, &len), WW_STATUS_NULL_ARGUMENT, "ww_last_error_detail(buf = NULL)");
    CHECK_STATUS(ww_last_error_detail(buf, sizeof buf, NULL), WW_STATUS_NULL_ARGUMENT,
                 "ww_last_error_detail(out_len = NULL)");
    CHECK_STATUS(ww_last_error_json(NULL), WW_STATUS_NULL_ARGUMENT, "ww_last_error_json(out_json = NULL)");

    expect_null(ww_totp_new(NULL, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), "ww_totp_new", "secret");
    expect_null(ww_totp_new(SECRET, 0, WW_ALGORITHM_SHA1, 6, 30, 0, NULL), "ww_totp_new", "out_totp");
    expect_null(ww_totp_generate(NULL, NOW, buf, sizeof buf, &len), "ww_totp_generate", "totp");
    expect_null(ww_totp_generate(totp, NOW, NULL, sizeof buf, &len), "ww_totp_generate", "buf");
    expect_null(ww_totp_generate(totp, NOW, buf, sizeof buf, NULL), "ww_totp_generate", "out_len");
    expect_null(ww_totp_step(NULL, NOW, &step), "ww_totp_step", "totp");
    expect_null(ww_totp_step(totp, NOW, NULL), "ww_totp_step", "out_step");
    expect_null(ww_totp_verify(NULL, code, 6, NOW, 1, &tr), "ww_totp_verify", "totp");
    expect_null(ww_totp_verify(totp, NULL, 6, NOW, 1, &tr), "ww_totp_verify", "code");
    expect_null(ww_totp_verify(totp, NULL, 0, NOW, 1, &tr), "ww_totp_verify", "code");
    expect_null(ww_totp_verify(totp, code, 6, NOW, 1, NULL), "ww_totp_verify", "out_result");
    expect_null(ww_totp_check(NULL, code, 6, NOW, 1, false, 0, &tr), "ww_totp_check", "totp");
    expect_null(ww_totp_check(totp, NULL, 6, NOW, 1, false, 0, &tr), "ww_totp_check", "code");
    expect_null(ww_totp_check(totp, code, 6, NOW, 1, true, 5, NULL), "ww_totp_check", "out_result");

    expect_null(ww_hotp_new(NULL, 20, WW_ALGORITHM_SHA1, 6, &hotp), "ww_hotp_new", "secret");
    expect_null(ww_hotp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, NULL), "ww_hotp_new", "out_hotp");
    expect_null(ww_hotp_generate(NULL, 0, buf, sizeof buf, &len), "ww_hotp_generate", "hotp");
    expect_null(ww_hotp_generate(hotp, 0, NULL, sizeof buf, &len), "ww_hotp_generate", "buf");
    expect_null(ww_hotp_generate(hotp, 0, buf, sizeof buf, NULL), "ww_hotp_generate", "out_len");
    expect_null(ww_hotp_verify(NULL, code, 6, 0, 1, &hr), "ww_hotp_verify", "hotp");
    expect_null(ww_hotp_verify(hotp, NULL, 6, 0, 1, &hr), "ww_hotp_verify", "code");
    expect_null(ww_hotp_verify(hotp, code, 6, 0, 1, NULL), "ww_hotp_verify", "out_result");

    expect_null(ww_secret_generate(WW_ALGORITHM_SHA1, NULL, sizeof bytes, &len), "ww_secret_generate", "buf");
    expect_null(ww_secret_generate(WW_ALGORITHM_SHA1, bytes, sizeof bytes, NULL), "ww_secret_generate", "out_len");
    expect_null(ww_secret_key_generate(NULL, sizeof bytes, &len), "ww_secret_key_generate", "buf");
    expect_null(ww_secret_key_generate(bytes, sizeof bytes, NULL), "ww_secret_key_generate", "out_len");
    expect_null(ww_base32_encode(NULL, 0, buf, sizeof buf, &len), "ww_base32_encode", "data");
    expect_null(ww_base32_encode(SECRET, 20, NULL, sizeof buf, &len), "ww_base32_encode", "buf");
    expect_null(ww_base32_encode(SECRET, 20, buf, sizeof buf, NULL), "ww_base32_encode", "out_len");
    expect_null(ww_base32_decode(NULL, bytes, sizeof bytes, &len), "ww_base32_decode", "text");
    expect_null(ww_base32_decode("MZXW6", NULL, sizeof bytes, &len), "ww_base32_decode", "buf");
    expect_null(ww_base32_decode("MZXW6", bytes, sizeof bytes, NULL), "ww_base32_decode", "out_len");

    expect_null(ww_key_uri_build(WW_OTP_TOTP, NULL, "alice", SECRET, 20, 0, 6, 30, 0, &str), "ww_key_uri_build", "issuer");
    expect_null(ww_key_uri_build(WW_OTP_TOTP, "Acme", NULL, SECRET, 20, 0, 6, 30, 0, &str), "ww_key_uri_build", "account");
    expect_null(ww_key_uri_build(WW_OTP_TOTP, "Acme", "alice", NULL, 20, 0, 6, 30, 0, &str), "ww_key_uri_build", "secret");
    expect_null(ww_key_uri_build(WW_OTP_TOTP, "Acme", "alice", SECRET, 20, 0, 6, 30, 0, NULL), "ww_key_uri_build",
                "out_uri");
    expect_null(ww_key_uri_build_json(NULL, &str), "ww_key_uri_build_json", "key_json");
    expect_null(ww_key_uri_build_json("{}", NULL), "ww_key_uri_build_json", "out_uri");
    expect_null(ww_key_uri_parse(NULL, &str), "ww_key_uri_parse", "uri");
    expect_null(ww_key_uri_parse("otpauth://totp/a?secret=MZXW6YTB", NULL), "ww_key_uri_parse", "out_json");
    expect_null(ww_binding_qr_svg(NULL, &str), "ww_binding_qr_svg", "uri");
    expect_null(ww_binding_qr_svg("otpauth://totp/a?secret=MZXW6YTB", NULL), "ww_binding_qr_svg", "out_svg");
    expect_null(ww_binding_qr_terminal(NULL, &str), "ww_binding_qr_terminal", "uri");
    expect_null(ww_binding_qr_terminal("otpauth://totp/a?secret=MZXW6YTB", NULL), "ww_binding_qr_terminal",
                "out_text");
    expect_null(ww_binding_qr_terminal_for(NULL, WW_QR_LIGHT_BACKGROUND, &str), "ww_binding_qr_terminal_for", "uri");
    expect_null(ww_binding_qr_terminal_for("otpauth://totp/a?secret=MZXW6YTB", WW_QR_LIGHT_BACKGROUND, NULL),
                "ww_binding_qr_terminal_for", "out_text");

    expect_null(ww_service_new(NULL, &svc), "ww_service_new", "settings_json");
    expect_null(ww_service_new(SETTINGS, NULL), "ww_service_new", "out_service");
    {
        ww_host_store host;
        ww_service *unused = NULL;
        memset(&host, 0, sizeof host);
        expect_null(ww_service_new_with_store(NULL, &host, &unused), "ww_service_new_with_store", "settings_json");
        expect_null(ww_service_new_with_store(SETTINGS, NULL, &unused), "ww_service_new_with_store", "store");
        expect_null(ww_service_new_with_store(SETTINGS, &host, NULL), "ww_service_new_with_store", "out_service");
        CHECK(unused == NULL, "no service made");
        /* A reply exists only inside a callback (test_host_store.c answers through real ones). */
        expect_null(ww_host_reply_record(NULL, "{}", 2), "ww_host_reply_record", "reply");
        expect_null(ww_host_reply_record(NULL, NULL, 0), "ww_host_reply_record", "reply");
        expect_null(ww_host_reply_error(NULL, "down"), "ww_host_reply_error", "reply");
        expect_null(ww_host_reply_error(NULL, NULL), "ww_host_reply_error", "reply");
    }
    expect_null(ww_service_call(NULL, "list_entities", "", NOW, &str), "ww_service_call", "service");
    expect_null(ww_service_call(svc, NULL, "", NOW, &str), "ww_service_call", "op");
    expect_null(ww_service_call(svc, "list_entities", NULL, NOW, &str), "ww_service_call", "args_json");
    expect_null(ww_service_call(svc, "list_entities", "", NOW, NULL), "ww_service_call", "out_json");

    /* The typed service functions: every pointer argument NULL once. */
#define S svc
#define I IDENTITY
#define F "YF00000000000000000000000000000000"
#define C "YC00000000000000000000000000000000"
    expect_null(ww_service_create_entity(NULL, I, NOW, &str), "create_entity", "service");
    expect_null(ww_service_create_entity(S, NULL, NOW, &str), "create_entity", "identity");
    expect_null(ww_service_create_entity(S, I, NOW, NULL), "create_entity", "out_json");
    expect_null(ww_service_fetch_entity(NULL, I, NOW, &str), "fetch_entity", "service");
    expect_null(ww_service_fetch_entity(S, NULL, NOW, &str), "fetch_entity", "identity");
    expect_null(ww_service_fetch_entity(S, I, NOW, NULL), "fetch_entity", "out_json");
    expect_null(ww_service_list_entities(NULL, NOW, &str), "list_entities", "service");
    expect_null(ww_service_list_entities(S, NOW, NULL), "list_entities", "out_json");
    expect_null(ww_service_list_entities_page(NULL, "", NOW, &str), "list_entities_page", "service");
    expect_null(ww_service_list_entities_page(S, NULL, NOW, &str), "list_entities_page", "options_json");
    expect_null(ww_service_list_entities_page(S, "", NOW, NULL), "list_entities_page", "out_json");
    expect_null(ww_service_delete_entity(NULL, I, NOW, &str), "delete_entity", "service");
    expect_null(ww_service_delete_entity(S, NULL, NOW, &str), "delete_entity", "identity");
    expect_null(ww_service_delete_entity(S, I, NOW, NULL), "delete_entity", "out_json");
    expect_null(ww_service_create_factor(NULL, I, "phone", "", NOW, &str), "create_factor", "service");
    expect_null(ww_service_create_factor(S, NULL, "phone", "", NOW, &str), "create_factor", "identity");
    expect_null(ww_service_create_factor(S, I, NULL, "", NOW, &str), "create_factor", "friendly_name");
    expect_null(ww_service_create_factor(S, I, "phone", NULL, NOW, &str), "create_factor", "options_json");
    expect_null(ww_service_create_factor(S, I, "phone", "", NOW, NULL), "create_factor", "out_json");
    expect_null(ww_service_fetch_factor(NULL, I, F, NOW, &str), "fetch_factor", "service");
    expect_null(ww_service_fetch_factor(S, NULL, F, NOW, &str), "fetch_factor", "identity");
    expect_null(ww_service_fetch_factor(S, I, NULL, NOW, &str), "fetch_factor", "factor_sid");
    expect_null(ww_service_fetch_factor(S, I, F, NOW, NULL), "fetch_factor", "out_json");
    expect_null(ww_service_list_factors(NULL, I, NOW, &str), "list_factors", "service");
    expect_null(ww_service_list_factors(S, NULL, NOW, &str), "list_factors", "identity");
    expect_null(ww_service_list_factors(S, I, NOW, NULL), "list_factors", "out_json");
    expect_null(ww_service_list_factors_page(NULL, I, "", NOW, &str), "list_factors_page", "service");
    expect_null(ww_service_list_factors_page(S, NULL, "", NOW, &str), "list_factors_page", "identity");
    expect_null(ww_service_list_factors_page(S, I, NULL, NOW, &str), "list_factors_page", "options_json");
    expect_null(ww_service_list_factors_page(S, I, "", NOW, NULL), "list_factors_page", "out_json");
    expect_null(ww_service_update_factor(NULL, I, F, "", NOW, &str), "update_factor", "service");
    expect_null(ww_service_update_factor(S, NULL, F, "", NOW, &str), "update_factor", "identity");
    expect_null(ww_service_update_factor(S, I, NULL, "", NOW, &str), "update_factor", "factor_sid");
    expect_null(ww_service_update_factor(S, I, F, NULL, NOW, &str), "update_factor", "options_json");
    expect_null(ww_service_update_factor(S, I, F, "", NOW, NULL), "update_factor", "out_json");
    expect_null(ww_service_verify_factor(NULL, I, F, code, 6, NOW, NULL, &str), "verify_factor", "service");
    expect_null(ww_service_verify_factor(S, NULL, F, code, 6, NOW, NULL, &str), "verify_factor", "identity");
    expect_null(ww_service_verify_factor(S, I, NULL, code, 6, NOW, NULL, &str), "verify_factor", "factor_sid");
    expect_null(ww_service_verify_factor(S, I, F, NULL, 6, NOW, NULL, &str), "verify_factor", "code");
    /* The code-checking calls take NULL outputs: they run (here into a missing record). */
    CHECK_STATUS(ww_service_verify_factor(S, I, F, code, 6, NOW, NULL, NULL), WW_STATUS_FACTOR_NOT_FOUND,
                 "verify_factor without outputs");
    expect_null(ww_service_delete_factor(NULL, I, F, NOW, &str), "delete_factor", "service");
    expect_null(ww_service_delete_factor(S, NULL, F, NOW, &str), "delete_factor", "identity");
    expect_null(ww_service_delete_factor(S, I, NULL, NOW, &str), "delete_factor", "factor_sid");
    expect_null(ww_service_delete_factor(S, I, F, NOW, NULL), "delete_factor", "out_json");
    expect_null(ww_service_unlock_factor(NULL, I, F, NOW, &str), "unlock_factor", "service");
    expect_null(ww_service_unlock_factor(S, NULL, F, NOW, &str), "unlock_factor", "identity");
    expect_null(ww_service_unlock_factor(S, I, NULL, NOW, &str), "unlock_factor", "factor_sid");
    expect_null(ww_service_unlock_factor(S, I, F, NOW, NULL), "unlock_factor", "out_json");
    expect_null(ww_service_create_challenge(NULL, I, F, NULL, 0, "", NOW, NULL, &str), "create_challenge", "service");
    expect_null(ww_service_create_challenge(S, NULL, F, NULL, 0, "", NOW, NULL, &str), "create_challenge", "identity");
    expect_null(ww_service_create_challenge(S, I, NULL, NULL, 0, "", NOW, NULL, &str), "create_challenge", "factor_sid");
    expect_null(ww_service_create_challenge(S, I, F, NULL, 0, NULL, NOW, NULL, &str), "create_challenge", "options_json");
    CHECK_STATUS(ww_service_create_challenge(S, I, F, NULL, 0, "", NOW, NULL, NULL), WW_STATUS_FACTOR_NOT_FOUND,
                 "create_challenge without outputs");
    expect_null(ww_service_update_challenge(NULL, I, C, code, 6, "", NOW, NULL, &str), "update_challenge", "service");
    expect_null(ww_service_update_challenge(S, NULL, C, code, 6, "", NOW, NULL, &str), "update_challenge", "identity");
    expect_null(ww_service_update_challenge(S, I, NULL, code, 6, "", NOW, NULL, &str), "update_challenge", "challenge_sid");
    expect_null(ww_service_update_challenge(S, I, C, NULL, 6, "", NOW, NULL, &str), "update_challenge", "auth_payload");
    expect_null(ww_service_update_challenge(S, I, C, code, 6, NULL, NOW, NULL, &str), "update_challenge", "options_json");
    CHECK_STATUS(ww_service_update_challenge(S, I, C, code, 6, "", NOW, NULL, NULL), WW_STATUS_CHALLENGE_NOT_FOUND,
                 "update_challenge without outputs");
    expect_null(ww_service_fetch_challenge(NULL, I, C, NOW, &str), "fetch_challenge", "service");
    expect_null(ww_service_fetch_challenge(S, NULL, C, NOW, &str), "fetch_challenge", "identity");
    expect_null(ww_service_fetch_challenge(S, I, NULL, NOW, &str), "fetch_challenge", "challenge_sid");
    expect_null(ww_service_fetch_challenge(S, I, C, NOW, NULL), "fetch_challenge", "out_json");
    expect_null(ww_service_list_challenges(NULL, I, "", NOW, &str), "list_challenges", "service");
    expect_null(ww_service_list_challenges(S, NULL, "", NOW, &str), "list_challenges", "identity");
    expect_null(ww_service_list_challenges(S, I, NULL, NOW, &str), "list_challenges", "options_json");
    expect_null(ww_service_list_challenges(S, I, "", NOW, NULL), "list_challenges", "out_json");
    expect_null(ww_service_sweep(NULL, NOW, &str), "sweep", "service");
    expect_null(ww_service_sweep(S, NOW, NULL), "sweep", "out_json");
    expect_null(ww_service_reseal(NULL, NOW, &str), "reseal", "service");
    expect_null(ww_service_reseal(S, NOW, NULL), "reseal", "out_json");
    expect_null(ww_service_export_entity(NULL, I, NOW, &str), "export_entity", "service");
    expect_null(ww_service_export_entity(S, NULL, NOW, &str), "export_entity", "identity");
    expect_null(ww_service_export_entity(S, I, NOW, NULL), "export_entity", "out_record");
    expect_null(ww_service_export_factor(NULL, F, NOW, &str), "export_factor", "service");
    expect_null(ww_service_export_factor(S, NULL, NOW, &str), "export_factor", "factor_sid");
    expect_null(ww_service_export_factor(S, F, NOW, NULL), "export_factor", "out_record");
    expect_null(ww_service_export_challenge(NULL, C, NOW, &str), "export_challenge", "service");
    expect_null(ww_service_export_challenge(S, NULL, NOW, &str), "export_challenge", "challenge_sid");
    expect_null(ww_service_export_challenge(S, C, NOW, NULL), "export_challenge", "out_record");
    expect_null(ww_service_import_entity(NULL, "{}", NOW, &str), "import_entity", "service");
    expect_null(ww_service_import_entity(S, NULL, NOW, &str), "import_entity", "record");
    expect_null(ww_service_import_entity(S, "{}", NOW, NULL), "import_entity", "out_json");
    expect_null(ww_service_import_factor(NULL, "{}", NOW, &str), "import_factor", "service");
    expect_null(ww_service_import_factor(S, NULL, NOW, &str), "import_factor", "record");
    expect_null(ww_service_import_factor(S, "{}", NOW, NULL), "import_factor", "out_json");
    expect_null(ww_service_import_challenge(NULL, "{}", NOW, &str), "import_challenge", "service");
    expect_null(ww_service_import_challenge(S, NULL, NOW, &str), "import_challenge", "record");
    expect_null(ww_service_import_challenge(S, "{}", NOW, NULL), "import_challenge", "out_json");
#undef S
#undef I
#undef F
#undef C

    CHECK(str == NULL, "no out-parameter was written by a failed call");
    /* Nothing happened to the store: the NULL calls changed no state. */
    if (CHECK_STATUS(ww_service_list_entities(svc, NOW, &str), WW_STATUS_OK, "list_entities")) {
        CHECK(strcmp(str, EMPTY_PAGE) == 0, "the store is still empty: %s", str);
        ww_string_free(str);
    }
    ww_totp_free(totp);
    ww_hotp_free(hotp);
    ww_service_free(svc);
}

/* A buffer of `cap` bytes is too small for an output of `need` bytes (for text: length + 1). */
typedef ww_status (*fill_fn)(void *ctx, char *buf, size_t cap, size_t *out_len);

static void expect_size_query(const char *what, fill_fn fill, void *ctx, size_t need, int text) {
    char buf[600];
    size_t cap, len;
    for (cap = 0; cap < need; cap++) {
        memset(buf, 'x', sizeof buf);
        len = 12345;
        if (!CHECK_STATUS(fill(ctx, buf, cap, &len), WW_STATUS_BUFFER_TOO_SMALL, what)) return;
        CHECK(len == need, "%s: buffer of %lu: size needed %lu, wanted %lu", what, (unsigned long)cap, (unsigned long)len,
              (unsigned long)need);
        CHECK(buf[0] == 'x' && buf[need - 1] == 'x', "%s: nothing copied into a short buffer", what);
    }
    memset(buf, 'x', sizeof buf);
    if (CHECK_STATUS(fill(ctx, buf, need, &len), WW_STATUS_OK, what)) {
        CHECK(len == (text ? need - 1 : need), "%s: length %lu", what, (unsigned long)len);
        if (text) CHECK(buf[need - 1] == '\0' && strlen(buf) == need - 1, "%s: NUL-terminated", what);
        CHECK(buf[need] == 'x', "%s: nothing written past the output", what);
    }
}

static ww_status fill_totp(void *ctx, char *buf, size_t cap, size_t *len) {
    return ww_totp_generate((const ww_totp *)ctx, NOW, buf, cap, len);
}
static ww_status fill_hotp(void *ctx, char *buf, size_t cap, size_t *len) {
    return ww_hotp_generate((const ww_hotp *)ctx, 7, buf, cap, len);
}
static ww_status fill_encode(void *ctx, char *buf, size_t cap, size_t *len) {
    (void)ctx;
    return ww_base32_encode(SECRET, 20, buf, cap, len);
}
static ww_status fill_decode(void *ctx, char *buf, size_t cap, size_t *len) {
    (void)ctx;
    return ww_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", (uint8_t *)buf, cap, len);
}
static ww_status fill_secret(void *ctx, char *buf, size_t cap, size_t *len) {
    return ww_secret_generate(*(const uint32_t *)ctx, (uint8_t *)buf, cap, len);
}
static ww_status fill_message(void *ctx, char *buf, size_t cap, size_t *len) {
    (void)ctx;
    return ww_last_error_message(buf, cap, len);
}
static ww_status fill_detail(void *ctx, char *buf, size_t cap, size_t *len) {
    (void)ctx;
    return ww_last_error_detail(buf, cap, len);
}

static void test_buffers(void) {
    ww_totp *totp = NULL;
    ww_hotp *hotp = NULL;
    uint32_t alg;
    size_t want[3] = {20, 32, 64}, len = 0;
    uint8_t a[64], b[64];
    char msg[512];
    ww_totp *t8 = NULL;

    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 8, 30, 0, &t8), WW_STATUS_OK, "totp 8 digits");
    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), WW_STATUS_OK, "totp");
    CHECK_STATUS(ww_hotp_new(SECRET, 20, WW_ALGORITHM_SHA1, 10, &hotp), WW_STATUS_OK, "hotp");
    expect_size_query("ww_totp_generate (6 digits)", fill_totp, totp, 7, 1);
    expect_size_query("ww_totp_generate (8 digits)", fill_totp, t8, 9, 1);
    expect_size_query("ww_hotp_generate (10 digits)", fill_hotp, hotp, 11, 1);
    expect_size_query("ww_base32_encode", fill_encode, NULL, 33, 1);
    expect_size_query("ww_base32_decode", fill_decode, NULL, 20, 0);
    for (alg = 0; alg < 3; alg++) {
        expect_size_query("ww_secret_generate", fill_secret, &alg, want[alg], 0);
    }
    /* Two secrets differ (a CSPRNG, not a constant). */
    CHECK_STATUS(ww_secret_generate(WW_ALGORITHM_SHA512, a, sizeof a, &len), WW_STATUS_OK, "secret a");
    CHECK_STATUS(ww_secret_generate(WW_ALGORITHM_SHA512, b, sizeof b, &len), WW_STATUS_OK, "secret b");
    CHECK(memcmp(a, b, 64) != 0, "two generated secrets differ");

    /* The last error's message and detail follow the same idiom, and reading them keeps them. */
    CHECK_STATUS(ww_base32_decode("MZ XW0", a, sizeof a, &len), WW_STATUS_INVALID_PARAMETER, "bad base32");
    CHECK_STATUS(ww_last_error_message(msg, sizeof msg, &len), WW_STATUS_OK, "message");
    CHECK(strstr(msg, "position 6") != NULL, "the Base32 error names the position: %s", msg);
    expect_size_query("ww_last_error_message", fill_message, NULL, len + 1, 1);
    expect_size_query("ww_last_error_detail", fill_detail, NULL, strlen("base32_character") + 1, 1);
    CHECK(strcmp(last_detail(), "base32_character") == 0, "detail kept: %s", last_detail());

    ww_totp_free(totp);
    ww_totp_free(t8);
    ww_hotp_free(hotp);
}

static void test_invalid_input(void) {
    ww_totp *totp = NULL;
    ww_hotp *hotp = NULL;
    ww_service *svc = NULL;
    ww_totp_result tr = {WW_RESULT_REPLAYED, 9, 9};
    char *str = NULL;
    uint8_t bytes[32];
    size_t len = 99;
    const char bad_utf8[] = {'1', '2', (char)0xFF, '4', '5', '6', '\0'};

    /* Enum-like numbers are validated. */
    CHECK_STATUS(ww_totp_new(SECRET, 20, 3, 6, 30, 0, &totp), WW_STATUS_INVALID_PARAMETER, "algorithm 3");
    CHECK(strcmp(last_detail(), "algorithm") == 0 && totp == NULL, "algorithm 3: detail %s", last_detail());
    CHECK_STATUS(ww_hotp_new(SECRET, 20, 0xFFFFFFFFu, 6, &hotp), WW_STATUS_INVALID_PARAMETER, "algorithm UINT32_MAX");
    CHECK_STATUS(ww_secret_generate(7, bytes, sizeof bytes, &len), WW_STATUS_INVALID_PARAMETER, "secret algorithm 7");
    CHECK(len == 99, "no length written on failure");
    CHECK_STATUS(ww_key_uri_build(2, "Acme", "alice", SECRET, 20, 0, 6, 30, 0, &str), WW_STATUS_INVALID_PARAMETER,
                 "kind 2");
    CHECK(strcmp(last_detail(), "parameter") == 0 && strstr(last_message(), "kind") != NULL, "kind 2: %s",
          last_message());

    /* Invalid UTF-8 in every kind of text argument. */
    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), WW_STATUS_OK, "totp");
    CHECK_STATUS(ww_totp_verify(totp, bad_utf8, 6, NOW, 1, &tr), WW_STATUS_INVALID_UTF8, "code not UTF-8");
    CHECK(strcmp(last_detail(), "code") == 0 && tr.step == 9, "detail %s, outputs untouched", last_detail());
    CHECK_STATUS(ww_base32_decode(bad_utf8, bytes, sizeof bytes, &len), WW_STATUS_INVALID_UTF8, "base32 not UTF-8");
    CHECK_STATUS(ww_key_uri_parse(bad_utf8, &str), WW_STATUS_INVALID_UTF8, "uri not UTF-8");
    CHECK_STATUS(ww_key_uri_build(WW_OTP_TOTP, bad_utf8, "alice", SECRET, 20, 0, 6, 30, 0, &str), WW_STATUS_INVALID_UTF8,
                 "issuer not UTF-8");
    CHECK_STATUS(ww_service_new(bad_utf8, &svc), WW_STATUS_INVALID_UTF8, "settings not UTF-8");
    CHECK_STATUS(ww_service_new(SETTINGS, &svc), WW_STATUS_OK, "service");
    CHECK_STATUS(ww_service_call(svc, bad_utf8, "", NOW, &str), WW_STATUS_INVALID_UTF8, "op not UTF-8");
    CHECK(strcmp(last_detail(), "op") == 0, "detail %s", last_detail());
    CHECK_STATUS(ww_service_call(svc, "list_entities", bad_utf8, NOW, &str), WW_STATUS_INVALID_UTF8, "args not UTF-8");
    CHECK_STATUS(ww_service_create_entity(svc, bad_utf8, NOW, &str), WW_STATUS_INVALID_UTF8, "identity not UTF-8");
    CHECK_STATUS(ww_service_verify_factor(svc, IDENTITY, "YF00000000000000000000000000000000", bad_utf8, 6, NOW, NULL, &str),
                 WW_STATUS_INVALID_UTF8, "service code not UTF-8");

    /* Codes are pointer + length: a NUL inside is just a wrong code, and so is "". */
    {
        const char with_nul[] = {'0', '8', '1', '8', '0', '\0'};
        CHECK_STATUS(ww_totp_verify(totp, with_nul, 6, NOW, 1, &tr), WW_STATUS_OK, "code with a NUL");
        CHECK(tr.result == WW_RESULT_INVALID_CODE && tr.step == 0 && tr.offset == 0, "a NUL makes a wrong code");
        CHECK_STATUS(ww_totp_verify(totp, "", 0, NOW, 1, &tr), WW_STATUS_OK, "empty code");
        CHECK(tr.result == WW_RESULT_INVALID_CODE, "empty code is wrong");
    }

    /* Malformed JSON anywhere is an invalid parameter naming what was wrong. */
    CHECK_STATUS(ww_service_new("{\"issuer\": ", &svc), WW_STATUS_INVALID_PARAMETER, "settings not JSON");
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"colour\": 1}", &svc), WW_STATUS_INVALID_PARAMETER,
                 "unknown setting");
    CHECK_STATUS(ww_service_new("{\"issuer\": \"Acme\", \"skew\": 3}", &svc), WW_STATUS_INVALID_PARAMETER, "skew 3");
    CHECK(strstr(last_message(), "skew") != NULL, "the message names the setting: %s", last_message());
    CHECK_STATUS(ww_service_call(svc, "list_entities", "[1]", NOW, &str), WW_STATUS_INVALID_PARAMETER, "args not object");
    CHECK_STATUS(ww_service_call(svc, "no_such_op", "", NOW, &str), WW_STATUS_INVALID_PARAMETER, "unknown op");
    CHECK(strstr(last_message(), "operation") != NULL, "unknown op: %s", last_message());
    CHECK_STATUS(ww_service_create_factor(svc, IDENTITY, "phone", "[]", NOW, &str), WW_STATUS_INVALID_PARAMETER,
                 "options not an object");
    CHECK(strstr(last_message(), "options_json") != NULL, "options: %s", last_message());
    CHECK_STATUS(ww_service_create_factor(svc, IDENTITY, "phone", "{\"identity\": \"other-0001\"}", NOW, &str),
                 WW_STATUS_INVALID_PARAMETER, "an option repeating a parameter");
    CHECK_STATUS(ww_service_create_factor(svc, IDENTITY, "phone", "{\"colour\": 1}", NOW, &str),
                 WW_STATUS_INVALID_PARAMETER, "unknown option");
    CHECK_STATUS(ww_key_uri_build_json("{\"kind\": \"totp\"", &str), WW_STATUS_INVALID_PARAMETER, "key not JSON");
    CHECK_STATUS(ww_key_uri_build_json("{\"kind\": \"totp\", \"account\": \"a\", \"secret_base32\": \"MZXW6YTB\", "
                                       "\"colour\": 1}",
                                       &str),
                 WW_STATUS_INVALID_PARAMETER, "key with an unknown field");
    CHECK_STATUS(ww_service_import_factor(svc, "{\"v\": 99}", NOW, &str), WW_STATUS_INVALID_PARAMETER,
                 "record of an unknown version");
    CHECK(strcmp(last_detail(), "record") == 0, "record detail: %s", last_detail());
    CHECK(str == NULL, "no failed call wrote its out-parameter");
    if (CHECK_STATUS(ww_service_list_entities(svc, NOW, &str), WW_STATUS_OK, "list_entities")) {
        CHECK(strcmp(str, EMPTY_PAGE) == 0, "failed calls changed nothing: %s", str);
        ww_string_free(str);
    }
    ww_totp_free(totp);
    ww_service_free(svc);
}

static void test_last_error_lifecycle(void) {
    char *json = NULL;
    ww_totp *totp = NULL;
    size_t len = 0;
    char buf[8];

    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 2, 30, 0, &totp), WW_STATUS_INVALID_PARAMETER, "digits 2");
    if (CHECK_STATUS(ww_last_error_json(&json), WW_STATUS_OK, "last error json")) {
        CHECK(strstr(json, "\"kind\":\"invalid_parameter\"") && strstr(json, "\"detail\":\"digits\"") &&
                  strstr(json, "\"status\":1") && strstr(json, "\"twilio_code\":60300") &&
                  strstr(json, "\"http_status\":400") && strstr(json, "\"okta_code\":\"E0000001\""),
              "last error json: %s", json);
        ww_string_free(json);
        json = NULL;
    }
    /* A successful call clears it. */
    CHECK_STATUS(ww_base32_encode(SECRET, 20, buf, 0, &len), WW_STATUS_BUFFER_TOO_SMALL, "short buffer");
    CHECK(strcmp(last_detail(), "") == 0 && strstr(last_message(), "33") != NULL, "buffer message: %s", last_message());
    CHECK_STATUS(ww_totp_new(SECRET, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), WW_STATUS_OK, "totp");
    CHECK(strcmp(last_message(), "") == 0, "cleared by success: %s", last_message());
    if (CHECK_STATUS(ww_last_error_json(&json), WW_STATUS_OK, "last error json")) {
        CHECK(strcmp(json, "null") == 0, "no error: %s", json);
        ww_string_free(json);
    }
    ww_totp_free(totp);
}

static void *other_thread(void *arg) {
    int *clean = (int *)arg;
    char *json = NULL;
    uint8_t byte;
    size_t len;
    *clean = ww_last_error_json(&json) == WW_STATUS_OK && strcmp(json, "null") == 0;
    ww_string_free(json);
    /* This thread's own failure. */
    if (ww_base32_decode("!", &byte, 1, &len) != WW_STATUS_INVALID_PARAMETER) *clean = 0;
    return NULL;
}

static void test_last_error_per_thread(void) {
    pthread_t thread;
    int clean = 0;
    uint8_t byte;
    size_t len;
    CHECK_STATUS(ww_base32_decode("MZ0", &byte, 1, &len), WW_STATUS_INVALID_PARAMETER, "bad base32 here");
    CHECK(pthread_create(&thread, NULL, other_thread, &clean) == 0, "thread");
    pthread_join(thread, NULL);
    CHECK(clean, "another thread does not see this thread's last error");
    CHECK(strcmp(last_detail(), "base32_character") == 0, "and its failure does not replace ours: %s", last_detail());
}

static void test_key_uri_round_trip(void) {
    char *uri = NULL, *json = NULL, *again = NULL;
    if (CHECK_STATUS(ww_key_uri_build(WW_OTP_HOTP, "", "bob", SECRET, 20, WW_ALGORITHM_SHA256, 8, 30, 42, &uri),
                     WW_STATUS_OK, "hotp uri")) {
        CHECK(strcmp(uri, "otpauth://hotp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&counter=42") ==
                  0,
              "hotp uri: %s", uri);
        if (CHECK_STATUS(ww_key_uri_parse(uri, &json), WW_STATUS_OK, "parse")) {
            CHECK(strstr(json, "\"counter\":\"42\"") && strstr(json, "\"issuer\":null") && strstr(json, "\"kind\":\"hotp\""),
                  "parsed: %s", json);
            if (CHECK_STATUS(ww_key_uri_build_json(json, &again), WW_STATUS_OK, "rebuild")) {
                CHECK(strcmp(uri, again) == 0, "build(parse(uri)) == uri: %s", or_none(again));
            }
        }
    }
    ww_string_free(uri);
    ww_string_free(json);
    ww_string_free(again);
}

/* The character a light-background drawing has where a dark-background one has `c` (UTF-8 of
 * U+2588 full block, U+2580 upper half, U+2584 lower half, or a space): each module flips,
 * except the half below the last row, which is never drawn. */
static const char *flipped(const char *c, int last_row) {
    if (strncmp(c, "\xe2\x96\x88", 3) == 0) return last_row ? "\xe2\x96\x84" : " ";
    if (strncmp(c, "\xe2\x96\x80", 3) == 0) return last_row ? " " : "\xe2\x96\x84";
    if (strncmp(c, "\xe2\x96\x84", 3) == 0) return "\xe2\x96\x80";
    return last_row ? "\xe2\x96\x80" : "\xe2\x96\x88";
}

/* The QR codes of a URI: SVG and terminal text for both backgrounds; text too long for a QR code
 * and an unknown background are refused. */
static void test_qr(void) {
    const char *uri = "otpauth://totp/Acme:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme";
    char *svg = NULL, *text = NULL, *none = NULL, *dark = NULL, *light = NULL;
    char long_text[4000];
    if (CHECK_STATUS(ww_binding_qr_svg(uri, &svg), WW_STATUS_OK, "qr svg")) {
        CHECK(strstr(svg, "<svg") != NULL && strstr(svg, "</svg>") != NULL, "an SVG document");
    }
    if (CHECK_STATUS(ww_binding_qr_terminal(uri, &text), WW_STATUS_OK, "qr terminal")) {
        /* "\xe2\x96\x88" is U+2588 FULL BLOCK: the light quiet zone is drawn. */
        CHECK(strstr(text, "\xe2\x96\x88") != NULL && strchr(text, '\n') != NULL, "half-block lines");
    }
    if (CHECK_STATUS(ww_binding_qr_terminal_for(uri, WW_QR_DARK_BACKGROUND, &dark), WW_STATUS_OK, "qr dark") &&
        CHECK_STATUS(ww_binding_qr_terminal_for(uri, WW_QR_LIGHT_BACKGROUND, &light), WW_STATUS_OK, "qr light")) {
        const char *d = dark, *l = light, *end = strrchr(dark, '\n');
        const char *last_row = end != NULL ? end : dark;
        CHECK(text != NULL && strcmp(dark, text) == 0, "dark is ww_binding_qr_terminal's drawing");
        while (last_row > dark && last_row[-1] != '\n') last_row--;
        while (*d != '\0' && *l != '\0') {
            if (*d == '\n') {
                CHECK(*l == '\n', "lines end together");
                d++, l++;
                continue;
            }
            {
                const char *want = flipped(d, d >= last_row);
                size_t n = strlen(want);
                if (!CHECK(strncmp(l, want, n) == 0, "the light drawing flips every module at byte %d",
                           (int)(d - dark)))
                    break;
                d += *d == ' ' ? 1 : 3;
                l += n;
            }
        }
        CHECK(*d == '\0' && *l == '\0', "both drawings end together");
    }
    CHECK_STATUS(ww_binding_qr_terminal_for(uri, 2, &none), WW_STATUS_INVALID_PARAMETER, "an unknown background");
    CHECK(strcmp(last_detail(), "background") == 0 || strstr(last_message(), "background") != NULL,
          "the error names the background: %s", last_message());
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    CHECK_STATUS(ww_binding_qr_svg(long_text, &none), WW_STATUS_INVALID_PARAMETER, "too long for a QR code");
    CHECK(none == NULL, "no output on failure");
    ww_string_free(svg);
    ww_string_free(text);
    ww_string_free(dark);
    ww_string_free(light);
}

int main(void) {
    test_versions();
    test_free_null();
    test_status_table();
    test_null_arguments();
    test_buffers();
    test_invalid_input();
    test_last_error_lifecycle();
    test_last_error_per_thread();
    test_key_uri_round_trip();
    test_qr();
    return finish("test_abi");
}
