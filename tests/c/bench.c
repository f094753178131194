/* The C ABI's cost per call, on the inputs of the Rust benchmark (core/benches/otp.rs): SHA-1,
 * 6 digits, a 20-byte key, period 30, time 1234567890; `generate` of the current code and
 * verification of a wrong code with skew 1 (the whole window evaluated), plus `check` with a
 * replay floor and the SHA-256/512 variants. Compare with `cargo bench -p watchword-core --bench
 * otp` (make bench-rust). Each line gives the fastest and the median of 21 batches (the fastest is
 * the least disturbed by other work on a shared machine). Usage: bench [calls per batch] */
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
