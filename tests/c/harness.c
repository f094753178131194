#include "harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long passed, failed;

int check_at(int ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        passed++;
        return 1;
    }
    failed++;
    {
        va_list ap;
        fprintf(stderr, "FAIL %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return 0;
}

int check_status_at(ww_status got, ww_status want, const char *file, int line, const char *what) {
    if (got == want) return check_at(1, file, line, "%s", what);
    return check_at(0, file, line, "%s: status %u (%s), wanted %u (%s); last error: %s", what, (unsigned)got,
                    ww_status_kind(got), (unsigned)want, ww_status_kind(want), last_message());
}

int finish(const char *program) {
    printf("%s: %lu passed, %lu failed\n", program, passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

const char *last_detail(void) {
    static char buf[256];
    size_t len;
    if (ww_last_error_detail(buf, sizeof buf, &len) != WW_STATUS_OK) return "(no detail)";
    return buf;
}

const char *last_message(void) {
    static char buf[1024];
    size_t len;
    if (ww_last_error_message(buf, sizeof buf, &len) != WW_STATUS_OK) return "(message too long)";
    return buf;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len) {
    size_t n = strlen(hex), i;
    if (n % 2 != 0 || n / 2 > cap) return 0;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return 0;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *out_len = n / 2;
    return 1;
}

int parse_u64(const char *text, uint64_t *out) {
    char *end;
    unsigned long long value;
    if (text == NULL || *text == '\0' || *text == '-') return 0;
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return 0;
    *out = (uint64_t)value;
    return 1;
}

uint32_t algorithm_number(const char *name) {
    if (name == NULL) return 99;
    if (strcmp(name, "sha1") == 0) return WW_ALGORITHM_SHA1;
    if (strcmp(name, "sha256") == 0) return WW_ALGORITHM_SHA256;
    if (strcmp(name, "sha512") == 0) return WW_ALGORITHM_SHA512;
    return 99;
}

char *path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *out = (char *)malloc(a + b + 2);
    if (out == NULL) return NULL;
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
    return out;
}
