/* The replay race through one shared service handle (see race.h). */
#define _POSIX_C_SOURCE 200809L

#include "race.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char *const RACE_SETTINGS = "{\"issuer\": \"Race\", \"lockout_threshold\": 20, \"challenge_quota_hour\": 500, "
                                  "\"challenge_quota_day\": 1000, \"recovery_code_iterations\": 1000}";

long race_rounds_wanted(void) {
    const char *env = getenv("WW_TEST_RACE_ROUNDS");
    long rounds = env != NULL ? strtol(env, NULL, 10) : 200;
    return rounds > 0 ? rounds : 200;
}

#define THREADS 16

typedef struct {
    ww_service *svc;
    pthread_barrier_t *barrier;
    const char *identity;
    const char *factor;
    const char *challenge; /* NULL: create a challenge with the code; else answer this one */
    const char *code;
    uint64_t now;
    ww_status status;
    char result[32];
    char challenge_status[32];
} racer;

static void copy_member(const char *answer, const char *key, char *out, size_t cap) {
    char err[64];
    json_value *v = json_parse(answer, strlen(answer), err, sizeof err);
    const char *s = json_str(v, key);
    out[0] = '\0';
    if (s != NULL && strlen(s) < cap) strcpy(out, s);
    json_free(v);
}

static void *race(void *arg) {
    racer *r = (racer *)arg;
    char *out = NULL;
    pthread_barrier_wait(r->barrier);
    if (r->challenge == NULL) {
        char options[64];
        snprintf(options, sizeof options, "{\"auth_payload\": \"%s\"}", r->code);
        r->status = ww_service_create_challenge(r->svc, r->identity, r->factor, NULL, 0, options, r->now, NULL, &out);
    } else {
        r->status = ww_service_update_challenge(r->svc, r->identity, r->challenge, r->code, strlen(r->code), "", r->now, NULL,
                                                &out);
    }
    if (r->status == WW_STATUS_OK) {
        copy_member(out, "result", r->result, sizeof r->result);
        copy_member(out, "status", r->challenge_status, sizeof r->challenge_status);
    }
    ww_string_free(out);
    return NULL;
}

/* Runs THREADS racers and returns how many were approved; `others_ok` says whether every other
 * outcome was an acceptable loss. */
static int run_race(racer *template, pthread_barrier_t *barrier, int *others_ok) {
    pthread_t threads[THREADS];
    racer racers[THREADS];
    int i, approved = 0;
    *others_ok = 1;
    for (i = 0; i < THREADS; i++) {
        racers[i] = *template;
        racers[i].barrier = barrier;
        racers[i].status = WW_STATUS_PANIC;
        racers[i].result[0] = '\0';
        if (pthread_create(&threads[i], NULL, race, &racers[i]) != 0) {
            CHECK(0, "pthread_create");
            return -1;
        }
    }
    for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    for (i = 0; i < THREADS; i++) {
        racer *r = &racers[i];
        if (r->status == WW_STATUS_OK && strcmp(r->result, "approved") == 0) {
            approved++;
            if (strcmp(r->challenge_status, "approved") != 0) *others_ok = 0;
        } else if (r->status == WW_STATUS_OK && strcmp(r->result, "replayed") == 0) {
            /* lost the race: the step is used */
        } else if (template->challenge != NULL && r->status == WW_STATUS_CHALLENGE_ALREADY_RESPONDED) {
            /* lost the race: the challenge was approved first */
        } else {
            fprintf(stderr, "racer %d: status %s, result %s\n", i, ww_status_kind(r->status), r->result);
            *others_ok = 0;
        }
    }
    return approved;
}

void race_rounds(ww_service *svc, long rounds, const char *store) {
    pthread_barrier_t barrier;
    uint64_t now = 1700000000;
    long round;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (round = 0; round < rounds; round++) {
        char identity[40], *out = NULL, factor[64] = "", challenge[64] = "", uri[512] = "", err[64];
        char code[WW_CODE_BUFFER_SIZE], next[WW_CODE_BUFFER_SIZE];
        racer template;
        json_value *v;
        int others_ok = 0, approved;
        uint8_t secret[64];
        size_t len = 0;
        ww_totp *totp = NULL;
        snprintf(identity, sizeof identity, "race-%04ld-user", round);
        /* A factor with its own secret, verified with the code of `now`. */
        if (!CHECK_STATUS(ww_service_create_factor(svc, identity, "phone", "", now, &out), WW_STATUS_OK, "create_factor")) {
            break;
        }
        v = json_parse(out, strlen(out), err, sizeof err);
        copy_member(out, "sid", factor, sizeof factor);
        if (json_str(json_get(v, "binding"), "secret") != NULL) {
            ww_base32_decode(json_str(json_get(v, "binding"), "secret"), secret, sizeof secret, &len);
        }
        strncpy(uri, json_str(json_get(v, "binding"), "uri") != NULL ? json_str(json_get(v, "binding"), "uri") : "",
                sizeof uri - 1);
        json_free(v);
        ww_string_free(out);
        if (!CHECK_STATUS(ww_totp_new(secret, len, WW_ALGORITHM_SHA1, 6, 30, 0, &totp), WW_STATUS_OK, "totp")) break;
        ww_totp_generate(totp, now, code, sizeof code, &len);
        ww_totp_generate(totp, now + 30, next, sizeof next, &len);
        CHECK_STATUS(ww_service_verify_factor(svc, identity, factor, code, strlen(code), now, NULL, &out), WW_STATUS_OK,
                     "verify_factor");
        ww_string_free(out);
        out = NULL;

        /* Race 1: the code of the next step, presented with 16 new challenges at once. */
        template.svc = svc;
        template.identity = identity;
        template.factor = factor;
        template.challenge = NULL;
        template.code = next;
        template.now = now + 30;
        approved = run_race(&template, &barrier, &others_ok);
        CHECK(approved == 1 && others_ok, "%s, round %ld, challenges created with one code: %d approved (others ok: %d)",
              store, round, approved, others_ok);

        /* Race 2: the step after, answering one pending challenge 16 times at once. */
        ww_totp_generate(totp, now + 60, code, sizeof code, &len);
        if (CHECK_STATUS(ww_service_create_challenge(svc, identity, factor, NULL, 0, "", now + 60, NULL, &out), WW_STATUS_OK,
                         "pending challenge")) {
            copy_member(out, "sid", challenge, sizeof challenge);
        }
        ww_string_free(out);
        out = NULL;
        template.challenge = challenge;
        template.code = code;
        template.now = now + 60;
        approved = run_race(&template, &barrier, &others_ok);
        CHECK(approved == 1 && others_ok, "%s, round %ld, one challenge answered 16 times: %d approved (others ok: %d)",
              store, round, approved, others_ok);
        ww_totp_free(totp);
        now += 90;
    }
    /* Race 3, in a tenth as many rounds: one recovery code, redeemed by 16 challenges at once. */
    for (long codes = 0; codes < (rounds + 9) / 10; codes++) {
        char identity[40], *out = NULL, factor[64] = "", code[32] = "", err[64];
        const json_value *second;
        json_value *v;
        racer template;
        int others_ok = 0, approved;
        snprintf(identity, sizeof identity, "codes-%04ld-user", codes);
        if (!CHECK_STATUS(ww_service_create_factor(svc, identity, "backup", "{\"factor_type\": \"recovery_codes\", \"count\": 2}",
                                                   now, &out),
                          WW_STATUS_OK, "create_factor recovery_codes")) {
            break;
        }
        v = json_parse(out, strlen(out), err, sizeof err);
        copy_member(out, "sid", factor, sizeof factor);
        second = json_at(json_get(json_get(v, "binding"), "codes"), 1);
        if (second != NULL && second->type == JSON_STRING && second->string_len < sizeof code) strcpy(code, second->string);
        json_free(v);
        ww_string_free(out);
        if (!CHECK(code[0] != '\0', "%s, round %ld: the creation answer has binding.codes", store, codes)) break;
        template.svc = svc;
        template.identity = identity;
        template.factor = factor;
        template.challenge = NULL;
        template.code = code;
        template.now = now;
        approved = run_race(&template, &barrier, &others_ok);
        CHECK(approved == 1 && others_ok, "%s, round %ld, one recovery code redeemed 16 times: %d approved (others ok: %d)",
              store, codes, approved, others_ok);
        now += 1;
    }
    pthread_barrier_destroy(&barrier);
    printf("race over %s: %ld rounds\n", store, round);
}

