/* watchword quickstart in C: enroll a TOTP factor, verify it, print recovery codes, answer
 * challenges, see a replay and an expiry, and move the records to another service as a host with
 * its own database would.
 *
 * Build against an installed libwatchword:
 *     cc -std=c99 quickstart.c $(pkg-config --cflags --libs watchword) -o quickstart
 * or run `make demo-c`. The flow runs on a simulated clock that starts now, so it takes no time.
 *
 * The service answers in JSON. A real program would read it with its JSON library; to stay
 * dependency-free this example picks the few plain fields it needs with json_field below. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <watchword.h>

/* Prints the last error and exits when a call failed. */
static void check(ww_status st, const char *what) {
    char message[512];
    size_t len;
    if (st == WW_STATUS_OK) return;
    if (ww_last_error_message(message, sizeof message, &len) != WW_STATUS_OK) message[0] = '\0';
    fprintf(stderr, "%s failed: %s (%s): %s\n", what, ww_status_kind(st), ww_status_message(st), message);
    exit(1);
}

/* Copies the value of the first `"key":` in compact JSON into `out` (strings without escapes,
 * numbers, true/false/null). Enough for sids, statuses, results and key URIs. */
static const char *json_field(const char *json, const char *key, char *out, size_t cap) {
    char pattern[64];
    const char *p, *end;
    size_t n;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = strstr(json, pattern);
    out[0] = '\0';
    if (p == NULL) return out;
    p += strlen(pattern);
    if (*p == '"') {
        end = strchr(++p, '"');
    } else {
        end = p + strcspn(p, ",}]");
    }
    n = end != NULL ? (size_t)(end - p) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

/* The authenticator app: reads the key URI it scanned and shows codes. */
static ww_totp *app_from_uri(const char *uri) {
    char *key = NULL, secret_b32[256], algorithm[16], digits[8], period[16];
    uint8_t secret[128];
    size_t secret_len = 0;
    uint32_t alg;
    ww_totp *app = NULL;
    check(ww_key_uri_parse(uri, &key), "ww_key_uri_parse");
    json_field(key, "secret_base32", secret_b32, sizeof secret_b32);
    json_field(key, "algorithm", algorithm, sizeof algorithm);
    json_field(key, "digits", digits, sizeof digits);
    json_field(key, "period", period, sizeof period);
    ww_string_free(key); /* it held the secret: ww_string_free wipes it */
    alg = strcmp(algorithm, "sha256") == 0 ? WW_ALGORITHM_SHA256
          : strcmp(algorithm, "sha512") == 0 ? WW_ALGORITHM_SHA512
                                              : WW_ALGORITHM_SHA1;
    check(ww_base32_decode(secret_b32, secret, sizeof secret, &secret_len), "ww_base32_decode");
    check(ww_totp_new(secret, secret_len, alg, (uint32_t)atoi(digits), (uint64_t)atoi(period), 0, &app), "ww_totp_new");
    memset(secret, 0, sizeof secret);
    return app;
}

static void show_code(const ww_totp *app, uint64_t now, char *code) {
    size_t len;
    check(ww_totp_generate(app, now, code, WW_CODE_BUFFER_SIZE, &len), "ww_totp_generate");
}

int main(void) {
    ww_service *verify = NULL, *restored = NULL;
    ww_totp *app;
    char *out = NULL, *entity_record = NULL, *factor_record = NULL;
    char identity[40], sid[64], uri[512], code[WW_CODE_BUFFER_SIZE], later_code[WW_CODE_BUFFER_SIZE];
    char status[32], result[32], challenge_sid[64], options[128], backup_sid[64], first_code[16];
    const char *p;
    uint8_t random[20];
    size_t len;
    uint64_t now = ww_unix_now(), later;
    ww_status st;
    int light;

    printf("libwatchword %s (ABI %u)\n", ww_version(), ww_abi_version());
    if (ww_abi_version() != WW_ABI_VERSION) {
        fprintf(stderr, "built with ABI %d, loaded ABI %u\n", WW_ABI_VERSION, ww_abi_version());
        return 1;
    }
    check(ww_service_new("{\"issuer\": \"Acme Bank\"}", &verify), "ww_service_new");
    check(ww_secret_generate(WW_ALGORITHM_SHA1, random, sizeof random, &len), "ww_secret_generate");
    /* A random (version 4) UUID as the user's identity: immutable and free of personal data. */
    random[6] = (uint8_t)((random[6] & 0x0f) | 0x40);
    random[8] = (uint8_t)((random[8] & 0x3f) | 0x80);
    snprintf(identity, sizeof identity,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", random[0], random[1],
             random[2], random[3], random[4], random[5], random[6], random[7], random[8], random[9], random[10],
             random[11], random[12], random[13], random[14], random[15]);

    /* 1. Create a factor for the user: the answer alone carries the secret and key URI. */
    check(ww_service_create_factor(verify, identity, "Ada's phone", "", now, &out), "create_factor");
    json_field(out, "sid", sid, sizeof sid);
    json_field(out, "uri", uri, sizeof uri);
    printf("factor %s for %s: %s\n", sid, identity, json_field(out, "status", status, sizeof status));
    printf("scan this in an authenticator app: %s\n", uri);
    ww_string_free(out);
    /* Drawn for a dark terminal background; make demo QR=light draws it for a light one. */
    light = getenv("WATCHWORD_QR_BACKGROUND") != NULL && strcmp(getenv("WATCHWORD_QR_BACKGROUND"), "light") == 0;
    check(ww_binding_qr_terminal_for(uri, light ? WW_QR_LIGHT_BACKGROUND : WW_QR_DARK_BACKGROUND, &out),
          "ww_binding_qr_terminal_for");
    printf("%s(drawn for a %s terminal background; switch with make demo QR=light or QR=dark)\n", out,
           light ? "light" : "dark");
    ww_string_free(out);

    /* 2. The app computes the current code from the URI. */
    app = app_from_uri(uri);
    show_code(app, now, code);
    printf("the app shows %s\n", code);

    /* 3. Verify the factor with that code (enrollment). */
    check(ww_service_verify_factor(verify, identity, sid, code, strlen(code), now, NULL, &out), "verify_factor");
    printf("verify_factor: result=%s, status=%s\n", json_field(out, "result", result, sizeof result),
           json_field(out, "status", status, sizeof status));
    ww_string_free(out);
    if (strcmp(status, "verified") != 0) return 1;

    /* 3b. Recovery codes for the day the phone is lost: shown once (`binding.codes`), stored only
     * as salted hashes. Each redemption hashes the answer: call it off any event loop. */
    check(ww_service_create_factor(verify, identity, "Recovery codes", "{\"factor_type\": \"recovery_codes\"}", now,
                                   &out),
          "create_factor");
    json_field(out, "sid", backup_sid, sizeof backup_sid);
    printf("recovery codes (print them or save them somewhere safe; each works once):\n");
    first_code[0] = '\0';
    /* binding.codes: the quoted strings after "codes":[ (compact JSON), up to the closing bracket */
    p = strstr(out, "\"codes\":[");
    p = p != NULL ? p + strlen("\"codes\":[") : NULL;
    while (p != NULL && *p == '"') {
        const char *end = strchr(p + 1, '"');
        size_t n;
        if (end == NULL) break;
        n = (size_t)(end - p - 1);
        printf("  %.*s\n", (int)n, p + 1);
        if (first_code[0] == '\0' && n < sizeof first_code) {
            memcpy(first_code, p + 1, n);
            first_code[n] = '\0';
        }
        p = end[1] == ',' ? end + 2 : NULL;
    }
    ww_string_free(out); /* it held the codes: ww_string_free wipes it */
    check(ww_service_create_challenge(verify, identity, backup_sid, first_code, strlen(first_code), "", now, NULL, &out),
          "create_challenge");
    printf("a recovery code: result=%s\n", json_field(out, "result", result, sizeof result));
    ww_string_free(out);
    memset(first_code, 0, sizeof first_code);
    if (strcmp(result, "approved") != 0) return 1;

    /* 4. Thirty seconds later the user logs in: a challenge answered with the new code. */
    now += 30;
    show_code(app, now, code);
    snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", code);
    check(ww_service_create_challenge(verify, identity, sid, NULL, 0, options, now, NULL, &out), "create_challenge");
    printf("challenge with %s: result=%s, status=%s\n", code, json_field(out, "result", result, sizeof result),
           json_field(out, "status", status, sizeof status));
    ww_string_free(out);
    if (strcmp(status, "approved") != 0) return 1;

    /* 5. The same code again (a replay, e.g. a phished code): refused, as a result, not an error. */
    check(ww_service_create_challenge(verify, identity, sid, NULL, 0, options, now + 5, NULL, &out), "create_challenge");
    printf("the same code again: result=%s, status=%s\n", json_field(out, "result", result, sizeof result),
           json_field(out, "status", status, sizeof status));
    ww_string_free(out);
    if (strcmp(result, "replayed") != 0 || strcmp(status, "pending") != 0) return 1;

    /* 6. A challenge that expires: answering it after its expiration date is an error (60323). */
    snprintf(options, sizeof options, "{\"expiration_date\": %" PRIu64 "}", now + 60);
    check(ww_service_create_challenge(verify, identity, sid, NULL, 0, options, now, NULL, &out), "create_challenge");
    json_field(out, "sid", challenge_sid, sizeof challenge_sid);
    ww_string_free(out);
    later = now + 90;
    show_code(app, later, later_code);
    st = ww_service_update_challenge(verify, identity, challenge_sid, later_code, strlen(later_code), "", later, NULL, &out);
    if (st == WW_STATUS_CHALLENGE_EXPIRED) {
        char message[256];
        ww_last_error_message(message, sizeof message, &len);
        printf("late answer: %s (Twilio %u, HTTP %u): %s\n", ww_status_kind(st), ww_status_twilio_code(st),
               (unsigned)ww_status_http_status(st), message);
    } else {
        fprintf(stderr, "expected challenge_expired, got %s\n", ww_status_kind(st));
        return 1;
    }
    check(ww_service_fetch_challenge(verify, identity, challenge_sid, later, &out), "fetch_challenge");
    printf("the challenge now reads as %s\n", json_field(out, "status", status, sizeof status));
    ww_string_free(out);

    /* 7. A host that keeps its own database exports the records and loads them elsewhere. */
    check(ww_service_export_entity(verify, identity, now, &entity_record), "export_entity");
    check(ww_service_export_factor(verify, sid, now, &factor_record), "export_factor");
    check(ww_service_new("{\"issuer\": \"Acme Bank\"}", &restored), "ww_service_new");
    check(ww_service_import_entity(restored, entity_record, now, &out), "import_entity");
    ww_string_free(out);
    check(ww_service_import_factor(restored, factor_record, now, &out), "import_factor");
    printf("restored factor %s: %s, %lu bytes of record\n", sid, json_field(out, "status", status, sizeof status),
           (unsigned long)strlen(factor_record));
    ww_string_free(out);
    /* Replay protection travels with the record: the code used in step 4 is still refused. */
    snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", code);
    check(ww_service_create_challenge(restored, identity, sid, NULL, 0, options, now + 10, NULL, &out), "create_challenge");
    json_field(out, "result", result, sizeof result);
    ww_string_free(out);
    snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", later_code);
    check(ww_service_create_challenge(restored, identity, sid, NULL, 0, options, later, NULL, &out), "create_challenge");
    printf("after the move: old code %s, fresh code %s\n", result, json_field(out, "result", status, sizeof status));
    ww_string_free(out);
    if (strcmp(result, "replayed") != 0 || strcmp(status, "approved") != 0) return 1;

    ww_string_free(entity_record);
    ww_string_free(factor_record);
    ww_totp_free(app);
    ww_service_free(restored);
    ww_service_free(verify);
    return 0;
}
