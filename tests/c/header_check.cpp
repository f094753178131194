// The header must be usable from C++: this translation unit includes it and uses every kind of
// declaration it has (constants, enums, opaque handles, structs, functions). It is compiled
// with -Wall -Wextra -Werror (see mk/20-c.mk); it is never run.
#include "watchword.h"

#include <cstdio>

static_assert(WW_STATUS_OK == 0, "WW_STATUS_OK is 0");
static_assert(sizeof(ww_status) == sizeof(uint32_t), "ww_status is 32 bits");
static_assert(sizeof(ww_result) == sizeof(uint32_t), "ww_result is 32 bits");

int header_check_main() {
    ww_totp *totp = nullptr;
    const uint8_t secret[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
    ww_status st = ww_totp_new(secret, sizeof secret, WW_ALGORITHM_SHA1, 6, 30, 0, &totp);
    char code[WW_CODE_BUFFER_SIZE];
    size_t len = 0;
    ww_totp_result result = {WW_RESULT_INVALID_CODE, 0, 0};
    if (st == WW_STATUS_OK && ww_totp_generate(totp, 59, code, sizeof code, &len) == WW_STATUS_OK) {
        st = ww_totp_verify(totp, code, len, 59, 1, &result);
    }
    std::printf("%s %s %s %u\n", ww_version(), ww_status_kind(st), ww_result_name(result.result), ww_abi_version());
    ww_totp_free(totp);
    return st == WW_STATUS_OK && WW_ABI_VERSION == ww_abi_version() ? 0 : 1;
}
