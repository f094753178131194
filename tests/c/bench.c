/* The C ABI's cost per call, on the inputs of the Rust benchmark (core/benches/otp.rs): SHA-1,
 * 6 digits, a 20-byte key, period 30, time 1234567890; `generate` of the current code and
 * verification of a wrong code with skew 1 (the whole window evaluated), plus `check` with a
 * replay floor and the SHA-256/512 variants. Compare with `cargo bench -p watchword-core --bench
 * otp` (make bench-rust). Each line gives the fastest and the median of 21 batches (the fastest is
 * the least disturbed by other work on a shared machine). The service line is
 * `create_challenge` with the right code, as `cargo bench -p watchword-core --bench service`
 * times it in Rust. Usage: bench [calls per batch] */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchword.h"

#define BATCHES 21
static const uint64_t TIME = 1234567890;

typedef enum { STEP, GENERATE, VERIFY, CHECK } operation;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, ww_status st) {
    fprintf(stderr, "%s: %s\n", what, ww_status_kind(st));
    exit(1);
}

/* A 6-digit code matching none of the steps within 3 of the current one. */
static void wrong_code(const ww_totp *totp, char *out) {
    unsigned n;
    for (n = 0; n < 1000000; n++) {
        int clash = 0, d;
        snprintf(out, 7, "%06u", n);
        for (d = -3; d <= 3 && !clash; d++) {
            char code[WW_CODE_BUFFER_SIZE];
            size_t len;
            ww_totp_generate(totp, (uint64_t)((int64_t)TIME + 30 * d), code, sizeof code, &len);
            clash = strcmp(code, out) == 0;
        }
        if (!clash) return;
    }
    exit(1);
}

typedef struct {
    double best, median;
} timing;

static timing measure(const ww_totp *totp, operation op, const char *code, long calls) {
    double batches[BATCHES];
    int b;
    long i;
    char buf[WW_CODE_BUFFER_SIZE];
    size_t len;
    ww_totp_result r;
    uint64_t step;
    size_t code_len = strlen(code);
    for (b = -1; b < BATCHES; b++) { /* batch -1 warms up */
        double start = now_ns();
        for (i = 0; i < calls; i++) {
            ww_status st = op == STEP       ? ww_totp_step(totp, TIME, &step)
                           : op == GENERATE ? ww_totp_generate(totp, TIME, buf, sizeof buf, &len)
                           : op == VERIFY ? ww_totp_verify(totp, code, code_len, TIME, 1, &r)
                                          : ww_totp_check(totp, code, code_len, TIME, 1, true, 0, &r);
            if (st != WW_STATUS_OK) die("call", st);
        }
        if (b >= 0) batches[b] = (now_ns() - start) / (double)calls;
    }
    qsort(batches, BATCHES, sizeof batches[0], compare);
    {
        timing t;
        t.best = batches[0];
        t.median = batches[BATCHES / 2];
        return t;
    }
}

/* The service on the inputs of core/benches/service.rs: create_challenge with the right code
 * through a memory store, the outcome filled and no JSON view made; a fresh service every
 * CHUNK calls (untimed), a call every SPACING seconds (a new step, within the quotas). */
#define CHUNK 500
#define SPACING 90
static const char SETTINGS[] = "{\"issuer\": \"Acme\", \"challenge_quota_hour\": 500, \"challenge_quota_day\": 1000}";
static const char *IDENTITY = "user-0001-abcd";

static double create_challenge_batch(const ww_totp *totp, long calls) {
    static char codes[CHUNK][WW_CODE_BUFFER_SIZE];
    double total = 0;
    long done = 0;
    while (done < calls) {
        long n = calls - done < CHUNK ? calls - done : CHUNK, i;
        ww_service *svc = NULL;
        char *out = NULL, sid[64];
        const char *p;
        size_t len;
        ww_outcome o;
        double start;
        ww_status st = ww_service_new(SETTINGS, &svc);
        if (st != WW_STATUS_OK) die("ww_service_new", st);
        st = ww_service_create_factor(svc, IDENTITY, "phone", "{\"secret\": \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"}", 0, &out);
        if (st != WW_STATUS_OK || (p = strstr(out, "\"sid\":\"")) == NULL) die("create_factor", st);
        snprintf(sid, sizeof sid, "%.34s", p + 7);
        ww_string_free(out);
        ww_totp_generate(totp, 0, codes[0], sizeof codes[0], &len);
        st = ww_service_verify_factor(svc, IDENTITY, sid, codes[0], len, 0, &o, NULL);
        if (st != WW_STATUS_OK || o.result != WW_RESULT_APPROVED) die("verify_factor", st);
        for (i = 0; i < n; i++) ww_totp_generate(totp, (uint64_t)(i + 1) * SPACING, codes[i], sizeof codes[i], &len);
        start = now_ns();
        for (i = 0; i < n; i++) {
            st = ww_service_create_challenge(svc, IDENTITY, sid, codes[i], 6, "", (uint64_t)(i + 1) * SPACING, &o, NULL);
            if (st != WW_STATUS_OK || o.result != WW_RESULT_APPROVED) die("create_challenge", st);
        }
        total += now_ns() - start;
        ww_service_free(svc);
        done += n;
    }
    return total / (double)calls;
}

static timing measure_service(const ww_totp *totp, long calls) {
    double batches[BATCHES];
    int b;
    for (b = -1; b < BATCHES; b++) {
        double ns = create_challenge_batch(totp, calls);
        if (b >= 0) batches[b] = ns;
    }
    qsort(batches, BATCHES, sizeof batches[0], compare);
    {
        timing t;
        t.best = batches[0];
        t.median = batches[BATCHES / 2];
        return t;
    }
}

static void report(const char *alg, const char *what, timing t) {
    printf("%-7s %-32s %8.1f ns  (median %.1f ns)\n", alg, what, t.best, t.median);
}

int main(int argc, char **argv) {
    static const char *names[3] = {"sha1", "sha256", "sha512"};
    static const char key[] = "1234567890123456789012345678901234567890123456789012345678901234";
    static const size_t key_len[3] = {20, 32, 64};
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    uint32_t alg;
    printf("libwatchword %s, C ABI, ns per call: fastest and median of %d batches of %ld calls\n", ww_version(),
           BATCHES, calls);
    for (alg = 0; alg < 3; alg++) {
        ww_totp *totp = NULL;
        char wrong[8];
        ww_status st = ww_totp_new((const uint8_t *)key, key_len[alg], alg, 6, 30, 0, &totp);
        if (st != WW_STATUS_OK) die("ww_totp_new", st);
        wrong_code(totp, wrong);
        if (alg == 0) {
            report(names[alg], "ww_service_create_challenge (right)", measure_service(totp, calls / 10 > 0 ? calls / 10 : 1));
            /* A call that does almost nothing: the cost of crossing the boundary itself
             * (argument checks, the panic guard, the last-error reset) plus one division. */
            report(names[alg], "ww_totp_step (boundary cost)", measure(totp, STEP, "", calls));
        }
        report(names[alg], "ww_totp_generate", measure(totp, GENERATE, "", calls));
        report(names[alg], "ww_totp_verify (wrong, skew 1)", measure(totp, VERIFY, wrong, calls));
        report(names[alg], "ww_totp_check (wrong, skew 1)", measure(totp, CHECK, wrong, calls));
        ww_totp_free(totp);
    }
    return 0;
}
