/* watchword's C ABI against liboath (OATH Toolkit), side by side in one process: SHA-1, 6 digits,
 * a 20-byte key, period 30. `generate` is the code at a time; `verify` checks a wrong code with a
 * window of one step each side (the whole window evaluated). Each figure is the median over
 * repetitions of a timed batch; the implementations take turns within every repetition so that
 * other load on the machine hits them alike. It also times the service's create_challenge with
 * the right code through the C ABI (the inputs of core/benches/service.rs). Prints one JSON
 * object per line. */
#define _POSIX_C_SOURCE 200809L

#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchword.h"

#define REPEATS 15
#define LOOPS 20000

static const char SECRET[] = "12345678901234567890";
static const uint64_t T = 1700000000;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], compare);
    return v[n / 2];
}

static volatile unsigned sink;

/* The service on the inputs of core/benches/service.rs: create_challenge with the right code
 * through a memory store, the outcome filled and no JSON view made; a fresh service every
 * CHUNK calls (untimed), a call every SPACING seconds (a new step, within the quotas). Returns
 * the time per call. */
#define CHUNK 500
#define SPACING 90
static const char *IDENTITY = "user-0001-abcd";

static double create_challenge_ns(const ww_totp *totp, long calls) {
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
        if (ww_service_new("{\"issuer\": \"Acme\", \"challenge_quota_hour\": 500, \"challenge_quota_day\": 1000}", &svc) !=
            WW_STATUS_OK)
            exit(1);
        if (ww_service_create_factor(svc, IDENTITY, "phone", "{\"secret\": \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"}", 0, &out) !=
                WW_STATUS_OK ||
            (p = strstr(out, "\"sid\":\"")) == NULL)
            exit(1);
        snprintf(sid, sizeof sid, "%.34s", p + 7);
        ww_string_free(out);
        ww_totp_generate(totp, 0, codes[0], sizeof codes[0], &len);
        if (ww_service_verify_factor(svc, IDENTITY, sid, codes[0], len, 0, &o, NULL) != WW_STATUS_OK ||
            o.result != WW_RESULT_APPROVED)
            exit(1);
        for (i = 0; i < n; i++) ww_totp_generate(totp, (uint64_t)(i + 1) * SPACING, codes[i], sizeof codes[i], &len);
        start = now_ns();
        for (i = 0; i < n; i++) {
            if (ww_service_create_challenge(svc, IDENTITY, sid, codes[i], 6, "", (uint64_t)(i + 1) * SPACING, &o, NULL) !=
                    WW_STATUS_OK ||
                o.result != WW_RESULT_APPROVED)
                exit(1);
        }
        total += now_ns() - start;
        ww_service_free(svc);
        done += n;
    }
    return total / (double)calls;
}


int main(void) {
    ww_totp *totp = NULL;
    char code[16], oath_code[16], wrong[16];
    size_t len = 0;
    double times[5][REPEATS];
    int r, i;

    if (oath_init() != OATH_OK) return 1;
    if (ww_totp_new((const uint8_t *)SECRET, 20, WW_ALGORITHM_SHA1, 6, 30, 0, &totp) != WW_STATUS_OK) return 1;

    /* Both agree on the code, and the wrong code matches no step of the window. */
    if (ww_totp_generate(totp, T, code, sizeof code, &len) != WW_STATUS_OK) return 1;
    if (oath_totp_generate(SECRET, 20, (time_t)T, 30, 0, 6, oath_code) != OATH_OK) return 1;
    if (strcmp(code, oath_code) != 0) {
        fprintf(stderr, "liboath disagrees: %s vs %s\n", oath_code, code);
        return 1;
    }
    snprintf(wrong, sizeof wrong, "%06ld", (strtol(code, NULL, 10) + 1) % 1000000);
    {
        ww_totp_result res;
        if (ww_totp_verify(totp, wrong, 6, T, 1, &res) != WW_STATUS_OK || res.result != WW_RESULT_INVALID_CODE) return 1;
        if (oath_totp_validate(SECRET, 20, (time_t)T, 30, 0, 1, wrong) != OATH_INVALID_OTP) return 1;
    }

    for (r = 0; r < REPEATS; r++) {
        double start;
        start = now_ns();
        for (i = 0; i < LOOPS; i++) {
            ww_totp_generate(totp, T + (uint64_t)i, code, sizeof code, &len);
            sink += (unsigned)code[0];
        }
        times[0][r] = (now_ns() - start) / LOOPS;
        start = now_ns();
        for (i = 0; i < LOOPS; i++) {
            oath_totp_generate(SECRET, 20, (time_t)(T + (uint64_t)i), 30, 0, 6, oath_code);
            sink += (unsigned)oath_code[0];
        }
        times[1][r] = (now_ns() - start) / LOOPS;
        start = now_ns();
        for (i = 0; i < LOOPS; i++) {
            ww_totp_result res;
            ww_totp_verify(totp, wrong, 6, T, 1, &res);
            sink += res.result;
        }
        times[2][r] = (now_ns() - start) / LOOPS;
        start = now_ns();
        for (i = 0; i < LOOPS; i++) {
            sink += (unsigned)oath_totp_validate(SECRET, 20, (time_t)T, 30, 0, 1, wrong);
        }
        times[3][r] = (now_ns() - start) / LOOPS;
        times[4][r] = create_challenge_ns(totp, LOOPS / 4);
    }
    printf("{\"language\": \"C\", \"implementation\": \"watchword\", \"operation\": \"generate\", \"ns\": %.1f}\n",
           median(times[0], REPEATS));
    printf("{\"language\": \"C\", \"implementation\": \"liboath %s\", \"operation\": \"generate\", \"ns\": %.1f}\n",
           oath_check_version(NULL), median(times[1], REPEATS));
    printf("{\"language\": \"C\", \"implementation\": \"watchword\", \"operation\": \"verify\", \"ns\": %.1f}\n",
           median(times[2], REPEATS));
    printf("{\"language\": \"C\", \"implementation\": \"liboath %s\", \"operation\": \"verify\", \"ns\": %.1f}\n",
           oath_check_version(NULL), median(times[3], REPEATS));
    /* Compared with core's typed call (core/benches/service.rs) by bench/run.py. */
    printf("{\"language\": \"C\", \"implementation\": \"watchword\", \"operation\": \"create_challenge\", \"ns\": %.1f}\n",
           median(times[4], REPEATS));
    ww_totp_free(totp);
    oath_done();
    return 0;
}
