"""Writes tests/vectors/uris.json. Expectations are written by hand from SPEC section 2 and the
Key URI format; Python only encodes the secrets."""
import base64, json, sys
from gen import dump

def b32(b): return base64.b32encode(b).decode().rstrip("=")
RFC = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
JB = "JBSWY3DPEHPK3PXP"
HX = "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"

def ok(kind="totp", issuer=None, account="alice@example.com", secret=JB, algorithm="sha1", digits=6, period=30,
       counter=None, extra=()):
    return {"kind": kind, "issuer": issuer, "account": account, "secret_base32": secret, "algorithm": algorithm,
            "digits": digits, "period": period, "counter": counter, "extra": [list(p) for p in extra]}

parse = []
def p(name, uri, expect=None, error=None):
    c = {"name": name, "uri": uri}
    if error: c["error"] = error
    else: c["expect"] = expect
    parse.append(c)

p("Twilio's example", "otpauth://totp/test-issuer:John%E2%80%99s%20Account%20Name?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=test-issuer&algorithm=SHA1&digits=6&period=30",
  ok(issuer="test-issuer", account="John\u2019s Account Name", secret=RFC))
p("Key URI format example", "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
  ok(issuer="Example", account="alice@google.com"))
p("issuer with a space, all parameters", "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
  ok(issuer="ACME Co", account="john.doe@email.com", secret=HX))
p("'+' is a space in a parameter value", "otpauth://totp/ACME%20Co:john?secret=JBSWY3DPEHPK3PXP&issuer=ACME+Co",
  ok(issuer="ACME Co", account="john"))
p("'+' is literal in the label", "otpauth://totp/A+B:john?secret=JBSWY3DPEHPK3PXP",
  ok(issuer="A+B", account="john"))
p("colon as %3A and a %20 before the account", "otpauth://totp/Big%20Corporation%3A%20alice@bigco.com?secret=JBSWY3DPEHPK3PXP&issuer=Big%20Corporation",
  ok(issuer="Big Corporation", account="alice@bigco.com"))
p("lower-case %3a", "otpauth://totp/Example%3aalice?secret=JBSWY3DPEHPK3PXP",
  ok(issuer="Example", account="alice"))
p("several spaces before the account", "otpauth://totp/Provider1:%20%20%20Alice%20Smith?secret=JBSWY3DPEHPK3PXP&issuer=Provider1",
  ok(issuer="Provider1", account="Alice Smith"))
p("space inside the account is kept", "otpauth://totp/Provider1:Alice%20Smith?secret=JBSWY3DPEHPK3PXP",
  ok(issuer="Provider1", account="Alice Smith"))
p("issuer from the label prefix only", "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP",
  ok(issuer="Example", account="alice@google.com"))
p("issuer from the parameter only", "otpauth://totp/alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
  ok(issuer="Example", account="alice@google.com"))
p("no issuer at all", "otpauth://totp/alice@google.com?secret=JBSWY3DPEHPK3PXP",
  ok(issuer=None, account="alice@google.com"))
p("empty issuer parameter: the label prefix is used", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=",
  ok(issuer="Example", account="alice"))
p("issuer parameter differs from the label prefix", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Other",
  error="uri_issuer_mismatch")
p("issuer parameter differs only in case", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=example",
  error="uri_issuer_mismatch")
p("UTF-8 issuer and account, percent-encoded", "otpauth://totp/%C3%9Cber%20GmbH:j%C3%BCrgen%40example.de?secret=JBSWY3DPEHPK3PXP&issuer=%C3%9Cber%20GmbH",
  ok(issuer="\u00dcber GmbH", account="j\u00fcrgen@example.de"))
p("UTF-8 account: CJK and emoji", "otpauth://totp/%E7%94%B0%E4%B8%AD%20%F0%9F%94%91?secret=JBSWY3DPEHPK3PXP",
  ok(issuer=None, account="\u7530\u4e2d \U0001f511"))
p("raw UTF-8 in the label is accepted", "otpauth://totp/\u00dcber:j\u00fcrgen?secret=JBSWY3DPEHPK3PXP",
  ok(issuer="\u00dcber", account="j\u00fcrgen"))
p("lower-case secret", "otpauth://totp/Example:alice?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
  ok(issuer="Example", account="alice", secret=RFC))
p("mixed-case secret", "otpauth://totp/Example:alice?secret=GezdGnbvGy3tQojqGEZDgnbvgy3tqojq",
  ok(issuer="Example", account="alice", secret=RFC))
p("padded secret", "otpauth://totp/Example:alice?secret=MZXW6YTBOI======",
  ok(issuer="Example", account="alice", secret="MZXW6YTBOI"))
p("padded secret, padding percent-encoded", "otpauth://totp/Example:alice?secret=MZXW6YTBOI%3D%3D%3D%3D%3D%3D",
  ok(issuer="Example", account="alice", secret="MZXW6YTBOI"))
p("spaces in the secret (%20)", "otpauth://totp/Example:alice?secret=GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV%20GY3T%20QOJQ",
  ok(issuer="Example", account="alice", secret=RFC))
p("spaces in the secret (+)", "otpauth://totp/Example:alice?secret=gezd+gnbv+gy3t+qojq+gezd+gnbv+gy3t+qojq",
  ok(issuer="Example", account="alice", secret=RFC))
p("hyphens in the secret", "otpauth://totp/Example:alice?secret=GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ",
  ok(issuer="Example", account="alice", secret=RFC))
p("80-bit legacy secret", "otpauth://totp/Example:alice?secret=" + b32(bytes(range(10))),
  ok(issuer="Example", account="alice", secret=b32(bytes(range(10)))))
p("128-byte secret", "otpauth://totp/Example:alice?secret=" + b32(bytes(range(128))),
  ok(issuer="Example", account="alice", secret=b32(bytes(range(128)))))
p("129-byte secret", "otpauth://totp/Example:alice?secret=" + b32(bytes(range(129))), error="secret_length")
p("missing secret", "otpauth://totp/Example:alice?issuer=Example", error="uri_missing_secret")
p("no query at all", "otpauth://totp/Example:alice", error="uri_missing_secret")
p("empty secret", "otpauth://totp/Example:alice?secret=", error="secret_length")
p("secret with a character outside the alphabet", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PX1", error="base32_character")
p("secret with padding in the middle", "otpauth://totp/Example:alice?secret=MZ%3DXW", error="base32_character")
p("secret of a length no bytes encode to", "otpauth://totp/Example:alice?secret=JBSWY3DPE", error="base32_length")
p("algorithm SHA256", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256",
  ok(issuer="Example", account="alice", algorithm="sha256"))
p("algorithm SHA512", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512",
  ok(issuer="Example", account="alice", algorithm="sha512"))
p("algorithm in lower case", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=sha256",
  ok(issuer="Example", account="alice", algorithm="sha256"))
p("bad algorithm MD5", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", error="uri_algorithm")
p("empty algorithm", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=", error="uri_algorithm")
p("digits 0", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=0", error="uri_digits")
p("digits 2", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=2", error="uri_digits")
p("digits 3", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=3",
  ok(issuer="Example", account="alice", digits=3))
p("digits 8", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=8",
  ok(issuer="Example", account="alice", digits=8))
p("digits 10", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=10",
  ok(issuer="Example", account="alice", digits=10))
p("digits 11", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=11", error="uri_digits")
p("digits not a number", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=six", error="uri_digits")
p("digits negative", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=-6", error="uri_digits")
p("digits huge", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=99999999999999999999999", error="uri_digits")
p("period 0", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=0", error="uri_period")
p("period 1", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=1",
  ok(issuer="Example", account="alice", period=1))
p("period 60", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=60",
  ok(issuer="Example", account="alice", period=60))
p("period 86400", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=86400",
  ok(issuer="Example", account="alice", period=86400))
p("period 86401", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=86401", error="uri_period")
p("period with a unit", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&period=30s", error="uri_period")
p("hotp with counter", "otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&counter=5",
  ok(kind="hotp", issuer="Example", account="alice", counter="5"))
p("hotp with counter 0", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=0",
  ok(kind="hotp", account="alice", counter="0"))
p("hotp with counter u64::MAX", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615",
  ok(kind="hotp", account="alice", counter="18446744073709551615"))
p("hotp with counter u64::MAX + 1", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616",
  error="uri_counter")
p("hotp with a negative counter", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=-1", error="uri_counter")
p("hotp with an empty counter", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=", error="uri_counter")
p("hotp without counter", "otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example", error="uri_counter")
p("hotp: a period parameter is kept aside", "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=7&period=60",
  ok(kind="hotp", account="alice", counter="7", extra=[("period", "60")]))
p("totp: a counter parameter is kept aside", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&counter=7",
  ok(account="alice", extra=[("counter", "7")]))
p("unknown parameter image kept, decoded", "otpauth://totp/ACME%20Co:john?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&image=https%3A%2F%2Fexample.com%2Flogo.png",
  ok(issuer="ACME Co", account="john", extra=[("image", "https://example.com/logo.png")]))
p("several unknown parameters kept in order", "otpauth://totp/alice?color=blue&secret=JBSWY3DPEHPK3PXP&image=x&flag",
  ok(account="alice", extra=[("color", "blue"), ("image", "x"), ("flag", "")]))
p("empty parameters are skipped", "otpauth://totp/alice?&secret=JBSWY3DPEHPK3PXP&&digits=8&",
  ok(account="alice", digits=8))
p("parameter names are case-insensitive", "otpauth://totp/alice?SECRET=JBSWY3DPEHPK3PXP&Digits=8&ISSUER=Example",
  ok(issuer="Example", account="alice", digits=8))
p("scheme and type are case-insensitive", "OTPAUTH://TOTP/alice?secret=JBSWY3DPEHPK3PXP",
  ok(account="alice"))
p("bad percent-encoding: not hex", "otpauth://totp/Example:alice%G1?secret=JBSWY3DPEHPK3PXP", error="uri_encoding")
p("bad percent-encoding: truncated at the end", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex%4", error="uri_encoding")
p("bad percent-encoding: lone %", "otpauth://totp/alice%?secret=JBSWY3DPEHPK3PXP", error="uri_encoding")
p("percent-encoding that is not UTF-8", "otpauth://totp/Example:alice%E2%80?secret=JBSWY3DPEHPK3PXP", error="uri_encoding")
p("percent-encoding that is not UTF-8, in a parameter", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=%FF", error="uri_encoding")
p("duplicate secret", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP", error="uri_duplicate")
p("duplicate digits", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=6&digits=8", error="uri_duplicate")
p("duplicate issuer in different case", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=A&Issuer=A", error="uri_duplicate")
p("wrong scheme", "https://totp/alice?secret=JBSWY3DPEHPK3PXP", error="uri_scheme")
p("scheme with one slash", "otpauth:/totp/alice?secret=JBSWY3DPEHPK3PXP", error="uri_scheme")
p("empty text", "", error="uri_scheme")
p("wrong type", "otpauth://motp/alice?secret=JBSWY3DPEHPK3PXP", error="uri_type")
p("no type", "otpauth://alice?secret=JBSWY3DPEHPK3PXP", error="uri_type")
p("a type without a label", "otpauth://totp?secret=JBSWY3DPEHPK3PXP", error="uri_label")
p("an hotp type without a label", "otpauth://HOTP?secret=JBSWY3DPEHPK3PXP&counter=0", error="uri_label")
p("empty label", "otpauth://totp/?secret=JBSWY3DPEHPK3PXP", error="uri_label")
p("issuer prefix without an account", "otpauth://totp/Example:?secret=JBSWY3DPEHPK3PXP", error="uri_label")
p("only spaces after the colon", "otpauth://totp/Example:%20%20?secret=JBSWY3DPEHPK3PXP", error="uri_label")
p("colon in the account", "otpauth://totp/Example:alice:bob?secret=JBSWY3DPEHPK3PXP", error="uri_colon")
p("encoded colon in the account", "otpauth://totp/Example%3Aalice%3Abob?secret=JBSWY3DPEHPK3PXP", error="uri_colon")
p("colon in the issuer parameter", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=A%3AB", error="uri_colon")

build = []
def b(name, fields, uri=None, error=None):
    c = {"name": name, "fields": fields}
    if error: c["error"] = error
    else: c["uri"] = uri
    build.append(c)

b("Twilio's example", ok(issuer="test-issuer", account="John\u2019s Account Name", secret=RFC),
  "otpauth://totp/test-issuer:John%E2%80%99s%20Account%20Name?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=test-issuer&algorithm=SHA1&digits=6&period=30")
b("issuer with a space; '@' is percent-encoded", ok(issuer="ACME Co", account="john.doe@email.com", secret=HX),
  "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30")
b("no issuer", ok(account="alice"),
  "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30")
b("unreserved characters stay literal", ok(issuer="a-b.c_d~e", account="A-Z.0_9~"),
  "otpauth://totp/a-b.c_d~e:A-Z.0_9~?secret=JBSWY3DPEHPK3PXP&issuer=a-b.c_d~e&algorithm=SHA1&digits=6&period=30")
b("reserved and other characters are percent-encoded", ok(issuer="A&B=C", account="x/y?z#+%"),
  "otpauth://totp/A%26B%3DC:x%2Fy%3Fz%23%2B%25?secret=JBSWY3DPEHPK3PXP&issuer=A%26B%3DC&algorithm=SHA1&digits=6&period=30")
b("UTF-8 issuer and account", ok(issuer="\u00dcber GmbH", account="\u7530\u4e2d \U0001f511"),
  "otpauth://totp/%C3%9Cber%20GmbH:%E7%94%B0%E4%B8%AD%20%F0%9F%94%91?secret=JBSWY3DPEHPK3PXP&issuer=%C3%9Cber%20GmbH&algorithm=SHA1&digits=6&period=30")
b("SHA512, 8 digits, 60 s", ok(issuer="Example", account="alice", algorithm="sha512", digits=8, period=60),
  "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA512&digits=8&period=60")
b("SHA256, 3 digits, 1 s", ok(issuer="Example", account="alice", algorithm="sha256", digits=3, period=1),
  "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA256&digits=3&period=1")
b("10 digits, 86400 s", ok(account="alice", digits=10, period=86400),
  "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=10&period=86400")
b("hotp: counter instead of period", ok(kind="hotp", issuer="Example", account="alice", counter="5"),
  "otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&counter=5")
b("hotp: counter u64::MAX", ok(kind="hotp", account="alice", counter="18446744073709551615"),
  "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&counter=18446744073709551615")
b("extra parameters come last, percent-encoded", ok(issuer="Example", account="alice", extra=[("image", "https://example.com/logo.png"), ("color", "dark blue")]),
  "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30&image=https%3A%2F%2Fexample.com%2Flogo.png&color=dark%20blue")
b("secret is emitted upper case without padding", ok(account="alice", secret="mzxw 6ytb-oi======"),
  "otpauth://totp/alice?secret=MZXW6YTBOI&algorithm=SHA1&digits=6&period=30")
b("colon in the issuer", ok(issuer="A:B", account="alice"), error="uri_colon")
b("colon in the account", ok(issuer="Example", account="alice:bob"), error="uri_colon")
b("empty account", ok(issuer="Example", account=""), error="uri_label")
b("account starting with a space", ok(issuer="Example", account=" alice"), error="uri_label")
b("digits 2", ok(account="alice", digits=2), error="uri_digits")
b("digits 11", ok(account="alice", digits=11), error="uri_digits")
b("period 0", ok(account="alice", period=0), error="uri_period")
b("period 86401", ok(account="alice", period=86401), error="uri_period")
b("hotp without counter", ok(kind="hotp", account="alice"), error="uri_counter")

dump(sys.argv[1] + "/uris.json", {
    "description": "otpauth:// key URI vectors (SPEC section 2): parse and build. See README.md for the format.",
    "parse": parse, "build": build})
