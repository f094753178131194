/* The test programs' tiny harness: checks that count and report, no framework. Each program
 * ends with a line "<program>: N passed, N failed" and exits non-zero on any failure. */
#ifndef WW_TEST_HARNESS_H
#define WW_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "watchword.h"

/* Records one check; prints the formatted message when it failed. Returns `ok`. */
int check_at(int ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
#define CHECK(cond, ...) check_at((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* Checks that `got` is `want`; on a mismatch prints both kinds and the thread's last error. */
int check_status_at(ww_status got, ww_status want, const char *file, int line, const char *what);
#define CHECK_STATUS(got, want, what) check_status_at((got), (want), __FILE__, __LINE__, (what))

/* Prints the summary line and returns the exit code. */
int finish(const char *program);

/* The thread's last-error detail name (static buffer per call site is enough for tests). */
const char *last_detail(void);
/* The thread's last-error message. */
const char *last_message(void);

/* Helpers for the vectors. */
int hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len);
int parse_u64(const char *text, uint64_t *out);
/* WW_ALGORITHM_* number of "sha1" / "sha256" / "sha512"; 99 for anything else. */
uint32_t algorithm_number(const char *name);
/* Joins a directory and a file name into a malloc'd path. */
char *path_join(const char *dir, const char *name);

#endif
