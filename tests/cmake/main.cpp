// Uses libwatchword from C++: the RFC 6238 vector, a service round trip and an error status,
// with every string the library hands out owned by a unique_ptr that frees it.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <watchword.h>

namespace {

struct StringFree {
    void operator()(char *s) const { ww_string_free(s); }
};
using WwString = std::unique_ptr<char, StringFree>;

struct ServiceFree {
    void operator()(ww_service *s) const { ww_service_free(s); }
};

struct TotpFree {
    void operator()(ww_totp *t) const { ww_totp_free(t); }
};

int fail(const char *what, ww_status st) {
    std::fprintf(stderr, "%s: %s\n", what, ww_status_kind(st));
    return 1;
}

}  // namespace

int main() {
    if (ww_abi_version() != WW_ABI_VERSION) return fail("ABI version", WW_STATUS_OK);
    const char *secret = "12345678901234567890";
    ww_totp *raw_totp = nullptr;
    ww_status st = ww_totp_new(reinterpret_cast<const uint8_t *>(secret), std::strlen(secret), WW_ALGORITHM_SHA1, 8,
                               30, 0, &raw_totp);
    if (st != WW_STATUS_OK) return fail("ww_totp_new", st);
    std::unique_ptr<ww_totp, TotpFree> totp(raw_totp);
    char code[WW_CODE_BUFFER_SIZE];
    size_t len = 0;
    st = ww_totp_generate(totp.get(), 59, code, sizeof code, &len);
    if (st != WW_STATUS_OK) return fail("ww_totp_generate", st);
    if (std::string(code) != "94287082") return fail("RFC 6238 vector", st);

    ww_service *raw_service = nullptr;
    st = ww_service_new("{\"issuer\": \"Acme\"}", &raw_service);
    if (st != WW_STATUS_OK) return fail("ww_service_new", st);
    std::unique_ptr<ww_service, ServiceFree> service(raw_service);
    char *out = nullptr;
    st = ww_service_create_factor(service.get(), "0d6e8a1c-3a52-4b7e-9f10-2c4d5e6f7a8b", "phone", "", ww_unix_now(),
                                  &out);
    if (st != WW_STATUS_OK) return fail("ww_service_create_factor", st);
    WwString factor(out);
    if (std::strstr(factor.get(), "\"status\":\"unverified\"") == nullptr) return fail("factor status", st);
    st = ww_service_fetch_entity(service.get(), "nobody-0000", ww_unix_now(), &out);
    if (st != WW_STATUS_ENTITY_NOT_FOUND) return fail("an unknown entity", st);
    std::printf("watchword %s from C++ through find_package(watchword)\n", ww_version());
    return 0;
}
