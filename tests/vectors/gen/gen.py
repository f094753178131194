"""Computes the expected values of tests/vectors/rfc4226.json and rfc6238.json with Python's
hmac module only (never with watchword)."""
import json
from hotp import *

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = (b"1234567890" * 7)[:64]
KEYS = {"sha1": SHA1_KEY, "sha256": SHA256_KEY, "sha512": SHA512_KEY}
MAX_SKEW = 10
MAX_LOOK_AHEAD = 1000

def key_fields(key):
    return {"secret_hex": key.hex(), "secret_base32": b32(key)}

# ---------------- RFC 4226 ----------------
APPENDIX_D = [
    ("cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"),
    ("75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"),
    ("0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"),
    ("66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"),
    ("a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"),
    ("a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"),
    ("bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"),
    ("a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"),
    ("1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"),
    ("1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"),
]

def hotp_case(name, alg, key, counter, digits, with_mac=True):
    m = mac(alg, key, counter)
    case = {"name": name, "algorithm": alg, **key_fields(key), "digits": digits, "counter": str(counter)}
    if with_mac:
        case["hmac_hex"] = m.hex()
        case["truncated"] = trunc(m)
    case["code"] = hotp(alg, key, counter, digits)
    return case

def hotp_verify(alg, key, digits, code, counter, look_ahead):
    if len(code) != digits or not all(c in "0123456789" for c in code):
        return None
    last = min(counter + look_ahead, U64)
    for c in range(counter, last + 1):
        if hotp(alg, key, c, digits) == code:
            return c
    return None

def rfc4226():
    gen = []
    for c, (hm, tr, code) in enumerate(APPENDIX_D):
        case = hotp_case(f"RFC 4226 Appendix D, counter {c}", "sha1", SHA1_KEY, c, 6)
        assert (case["hmac_hex"], case["truncated"], case["code"]) == (hm, tr, code), c
        gen.append(case)
    # RFC 4226 section 5.4 example: the offset comes from the last byte.
    gen.append(hotp_case("digits 3", "sha1", SHA1_KEY, 0, 3))
    gen.append(hotp_case("digits 7", "sha1", SHA1_KEY, 0, 7))
    gen.append(hotp_case("digits 8", "sha1", SHA1_KEY, 0, 8))
    gen.append(hotp_case("digits 10 (the whole 31-bit value)", "sha1", SHA1_KEY, 0, 10))
    gen.append(hotp_case("digits 10 with a leading zero", "sha1", SHA1_KEY, 2, 10))
    gen.append(hotp_case("digits 8 with a leading zero", "sha1", SHA1_KEY, 7, 8))
    gen.append(hotp_case("counter 2^32", "sha1", SHA1_KEY, 2**32, 6))
    gen.append(hotp_case("counter u64::MAX", "sha1", SHA1_KEY, U64, 6))
    for alg in ("sha256", "sha512"):
        for c in (0, 1, U64):
            gen.append(hotp_case(f"{alg} counter {c}", alg, KEYS[alg], c, 6))
    for n in (1, 10, 16, 63, 64, 65, 100, 128):
        key = bytes((i * 7 + 3) & 0xFF for i in range(n))
        for alg in ("sha1", "sha256", "sha512"):
            gen.append(hotp_case(f"{alg} {n}-byte key", alg, key, 1234567, 8))

    ver = []
    def v(name, code, counter, look_ahead, digits=6, alg="sha1", key=SHA1_KEY):
        ver.append({"name": name, "algorithm": alg, **key_fields(key), "digits": digits,
                    "counter": str(counter), "look_ahead": look_ahead, "code": code,
                    "match": None if (m := hotp_verify(alg, key, digits, code, counter, look_ahead)) is None else str(m)})
    v("exact counter, no look-ahead", "755224", 0, 0)
    v("look-ahead finds counter 2", "359152", 0, 5)
    v("look-ahead edge: counter + look_ahead", "254676", 0, 5)
    v("one past the look-ahead window", "287922", 0, 5)
    v("never backwards", "755224", 1, 5)
    v("look-ahead 0 does not look ahead", "287082", 0, 0)
    v("counter u64::MAX, window saturates", hotp("sha1", SHA1_KEY, U64, 6), U64, 5)
    v("counter u64::MAX - 1 finds u64::MAX", hotp("sha1", SHA1_KEY, U64, 6), U64 - 1, 5)
    v("wrong code", "000000", 0, 9)
    v("leading zero dropped", "81804", 0, 9)
    v("too long", "7552240", 0, 9)
    v("empty", "", 0, 9)
    v("letter", "75522a", 0, 9)
    v("fullwidth digits", "\uff17\uff15\uff15\uff12\uff12\uff14", 0, 9)
    v("leading space", " 755224", 0, 9)
    v("trailing newline", "755224\n", 0, 9)
    v("sign", "+55224", 0, 9)
    # 3 digits: the same code at two counters; the lowest counter wins.
    key = SHA1_KEY
    c = 0
    while True:
        codes = [hotp("sha1", key, c + i, 3) for i in range(10)]
        if codes[0] in codes[1:]:
            break
        c += 1
    v("3 digits, the same code twice in the window: the lowest counter", codes[0], c, 9, digits=3)
    v("3 digits, starting past the first occurrence", codes[0], c + 1, 9, digits=3)
    v("10 digits", hotp("sha1", SHA1_KEY, 3, 10), 0, 5, digits=10)
    v("sha256", hotp("sha256", SHA256_KEY, 4, 8), 1, 3, digits=8, alg="sha256", key=SHA256_KEY)
    v("sha512", hotp("sha512", SHA512_KEY, 4, 8), 1, 3, digits=8, alg="sha512", key=SHA512_KEY)
    v("look-ahead 1000 (the maximum)", hotp("sha1", SHA1_KEY, 1000, 6), 0, 1000)

    inv = []
    def i(name, error, operation, digits=6, key=SHA1_KEY, alg="sha1", **kw):
        inv.append({"name": name, "operation": operation, "algorithm": alg, "secret_hex": key.hex(),
                    "digits": digits, **kw, "error": error})
    i("digits 2", "digits", "new", digits=2)
    i("digits 0", "digits", "new", digits=0)
    i("digits 11", "digits", "new", digits=11)
    i("empty secret", "secret_length", "new", key=b"")
    i("129-byte secret", "secret_length", "new", key=bytes(129))
    i("look-ahead 1001", "look_ahead", "verify", counter="0", look_ahead=1001, code="755224")
    return {
        "description": "HOTP (RFC 4226) vectors. Expected values computed with Python's hmac module; "
                       "see README.md for the format.",
        "generate": gen, "verify": ver, "invalid": inv,
    }

# ---------------- RFC 6238 ----------------
APPENDIX_B = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]

def step_of(time, period, t0):
    return (time - t0) // period

def totp_case(name, alg, key, time, digits, period=30, t0=0):
    s = step_of(time, period, t0)
    return {"name": name, "algorithm": alg, **key_fields(key), "digits": digits, "period": period,
            "t0": str(t0), "time": str(time), "step": str(s), "code": hotp(alg, key, s, digits)}

def window(alg, key, digits, period, t0, code, time, skew, floor):
    """SPEC section 1: returns (nearest, fresh) matches inside the window."""
    cur = step_of(time, period, t0)
    nearest, fresh = None, None
    for i in range(2 * skew + 1):
        off = -((i + 1) // 2) if i % 2 == 1 else i // 2
        s = cur + off
        if s < 0 or s > U64:
            continue
        if hotp(alg, key, s, digits) == code:
            m = (s, off)
            if nearest is None:
                nearest = m
            if (floor is None or s > floor) and (fresh is None or s > fresh[0]):
                fresh = m
    if floor is None:
        fresh = nearest
    return nearest, fresh

def well_formed(code, digits):
    return len(code) == digits and all(c in "0123456789" for c in code)

def totp_verify(alg, key, digits, period, t0, code, time, skew):
    if not well_formed(code, digits):
        return None
    return window(alg, key, digits, period, t0, code, time, skew, None)[0]

def totp_check(alg, key, digits, period, t0, code, time, skew, floor):
    if not well_formed(code, digits):
        return ("invalid_code", None)
    nearest, fresh = window(alg, key, digits, period, t0, code, time, skew, floor)
    if fresh:
        return ("approved", fresh)
    if nearest:
        return ("replayed", nearest)
    cur = step_of(time, period, t0)
    for d in (skew + 1, skew + 2):
        for off in (-d, d):
            s = cur + off
            if 0 <= s <= U64 and hotp(alg, key, s, digits) == code:
                if floor is not None and s <= floor:
                    return ("replayed", (s, off))
                return ("outside_window", (s, off))
    return ("invalid_code", None)

def match_json(m):
    return None if m is None else {"step": str(m[0]), "offset": m[1]}

def rfc6238():
    gen = []
    for time, *codes in APPENDIX_B:
        for alg, expected in zip(("sha1", "sha256", "sha512"), codes):
            case = totp_case(f"RFC 6238 Appendix B, {alg}, time {time}", alg, KEYS[alg], time, 8)
            assert case["code"] == expected, (alg, time)
            gen.append(case)
    k = SHA1_KEY
    gen.append(totp_case("6 digits: the RFC's 07081804 keeps its leading zero", "sha1", k, 1111111109, 6))
    gen.append(totp_case("6 digits starting with 0", "sha1", k, 1700000490, 6))
    gen.append(totp_case("6 digits starting with 00", "sha1", k, 1700004720, 6))
    gen.append(totp_case("6 digits, all zeros", "sha1", k, 1720006830, 6))
    gen.append(totp_case("6 digits, last second of the all-zeros step", "sha1", k, 1720006859, 6))
    gen.append(totp_case("6 digits, first second after the all-zeros step", "sha1", k, 1720006860, 6))
    gen.append(totp_case("digits 3", "sha1", k, 1234567890, 3))
    gen.append(totp_case("digits 10", "sha1", k, 1234567890, 10))
    gen.append(totp_case("digits 10 with a leading zero", "sha1", k, 1111111109, 10))
    for time in (0, 29, 30, 59, 60, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 20000000000, U64 - 1, U64):
        for digits in (6, 8):
            gen.append(totp_case(f"time {time}, {digits} digits", "sha1", k, time, digits))
    for alg in ("sha256", "sha512"):
        for time in (0, 2**32, U64):
            gen.append(totp_case(f"{alg} time {time}", alg, KEYS[alg], time, 6))
    gen.append(totp_case("period 1 at u64::MAX (step u64::MAX)", "sha1", k, U64, 6, period=1))
    gen.append(totp_case("period 60", "sha1", k, 1234567890, 6, period=60))
    gen.append(totp_case("period 86400", "sha1", k, 1234567890, 6, period=86400))
    gen.append(totp_case("period 86400 at u64::MAX", "sha1", k, U64, 6, period=86400))
    gen.append(totp_case("t0 100, time 160", "sha1", k, 160, 6, t0=100))
    gen.append(totp_case("t0 equal to time (step 0)", "sha1", k, 1000, 6, t0=1000))
    gen.append(totp_case("t0 u64::MAX at u64::MAX", "sha1", k, U64, 6, t0=U64))

    ver, chk = [], []
    def base(name, alg, key, digits, period, t0, code, time, skew):
        return {"name": name, "algorithm": alg, **key_fields(key), "digits": digits, "period": period,
                "t0": str(t0), "time": str(time), "skew": skew, "code": code}
    def v(name, code, time, skew, alg="sha1", key=k, digits=6, period=30, t0=0):
        c = base(name, alg, key, digits, period, t0, code, time, skew)
        c["match"] = match_json(totp_verify(alg, key, digits, period, t0, code, time, skew))
        ver.append(c)
    def ch(name, code, time, skew, floor, alg="sha1", key=k, digits=6, period=30, t0=0):
        c = base(name, alg, key, digits, period, t0, code, time, skew)
        c["last_used_step"] = None if floor is None else str(floor)
        result, m = totp_check(alg, key, digits, period, t0, code, time, skew, floor)
        c["result"] = result
        c["match"] = match_json(m)
        chk.append(c)
    code_at = lambda s, digits=6, alg="sha1", key=k: hotp(alg, key, s, digits)
    T = 1234567890 // 30  # 41152263
    now = 1234567890
    v("current step", code_at(T), now, 1)
    v("current step, skew 0", code_at(T), now, 0)
    v("previous step, skew 1", code_at(T - 1), now, 1)
    v("previous step, skew 0", code_at(T - 1), now, 0)
    v("next step, skew 1", code_at(T + 1), now, 1)
    v("two steps back, skew 1", code_at(T - 2), now, 1)
    v("two steps back, skew 2", code_at(T - 2), now, 2)
    v("two steps ahead, skew 2", code_at(T + 2), now, 2)
    v("ten steps back, skew 10", code_at(T - 10), now, 10)
    v("eleven steps back, skew 10", code_at(T - 11), now, 10)
    v("wrong code", "000000" if code_at(T) != "000000" else "111111", now, 1)
    v("leading zero dropped", "81804", 1111111109, 1)
    v("leading zero kept", "081804", 1111111109, 1)
    v("extra leading zero", "0081804", 1111111109, 1)
    v("8-digit code against 6 digits", "07081804", 1111111109, 1)
    v("letter", "08180a", 1111111109, 1)
    v("empty", "", 1111111109, 1)
    v("fullwidth digits", "\uff10\uff18\uff11\uff18\uff10\uff14", 1111111109, 1)
    v("Arabic-Indic digits", "\u0660\u0668\u0661\u0668\u0660\u0664", 1111111109, 1)
    v("inner space", "081 804", 1111111109, 1)
    v("trailing space", "081804 ", 1111111109, 1)
    v("NUL byte", "08180\u0000", 1111111109, 1)
    v("all zeros is a valid code", "000000", 1720006830, 1)
    v("all zeros one step later", "000000", 1720006860, 1)
    v("time 0: the past side of the window does not exist", code_at(0), 0, 2)
    v("time 0, code of step 1", code_at(1), 0, 1)
    v("u64::MAX, current step", code_at(U64 // 30), U64, 1)
    v("u64::MAX, next step exists with period 30", code_at(U64 // 30 + 1), U64, 1)
    v("period 1 at u64::MAX: the future side of the window does not exist", code_at(U64), U64, 2, period=1)
    v("period 1 at u64::MAX, previous step", code_at(U64 - 1), U64, 2, period=1)
    v("t0 100", code_at(2), 160, 0, t0=100)
    v("sha256, previous step", code_at(T - 1, 8, "sha256", KEYS["sha256"]), now, 1,
      alg="sha256", key=KEYS["sha256"], digits=8)
    v("sha512, next step", code_at(T + 1, 8, "sha512", KEYS["sha512"]), now, 1,
      alg="sha512", key=KEYS["sha512"], digits=8)
    # 3-digit codes repeat: pin down which step wins.
    C1 = 56668608  # codes at C1-1 and C1+1 are equal, C1 differs
    assert code_at(C1 - 1, 3) == code_at(C1 + 1, 3) != code_at(C1, 3)
    v("same code one step back and one ahead: the past one wins", code_at(C1 - 1, 3), C1 * 30, 1, digits=3)
    C2 = 56666678  # codes at C2-1 and C2 are equal
    assert code_at(C2 - 1, 3) == code_at(C2, 3) != code_at(C2 + 1, 3)
    v("same code now and one step back: the current one wins", code_at(C2, 3), C2 * 30, 1, digits=3)

    ch("fresh, no floor", code_at(T), now, 1, None)
    ch("fresh above the floor", code_at(T), now, 1, T - 1)
    ch("replayed: the step equals the floor", code_at(T), now, 1, T)
    ch("replayed: the step is below the floor", code_at(T - 1), now, 1, T)
    ch("previous step accepted above the floor", code_at(T - 1), now, 1, T - 2)
    ch("outside window: two steps back with skew 1", code_at(T - 2), now, 1, None)
    ch("outside window: three steps back with skew 1", code_at(T - 3), now, 1, None)
    ch("outside window: two steps ahead with skew 1", code_at(T + 2), now, 1, None)
    ch("outside window: three steps ahead with skew 1", code_at(T + 3), now, 1, None)
    ch("rejected: four steps back with skew 1", code_at(T - 4), now, 1, None)
    ch("rejected: four steps ahead with skew 1", code_at(T + 4), now, 1, None)
    ch("outside window: one step back with skew 0", code_at(T - 1), now, 0, None)
    ch("outside window: four steps back with skew 2", code_at(T - 4), now, 2, None)
    ch("outside window but already used: replayed", code_at(T - 2), now, 1, T - 2)
    ch("outside window ahead, floor below", code_at(T + 2), now, 1, T)
    ch("rejected: wrong code", "000000" if code_at(T) != "000000" else "111111", now, 1, None)
    ch("rejected: malformed code", "12345", now, 1, None)
    ch("time 0, step 0, no floor", code_at(0), 0, 1, None)
    ch("time 0, step 0 used", code_at(0), 0, 1, 0)
    ch("u64::MAX with period 1", code_at(U64), U64, 1, U64 - 1, period=1)
    ch("u64::MAX with period 1, floor u64::MAX", code_at(U64), U64, 1, U64, period=1)
    ch("3 digits, same code one step back and one ahead, no floor: nearest (past)", code_at(C1 - 1, 3),
       C1 * 30, 1, None, digits=3)
    ch("3 digits, same code one step back and one ahead, floor below both: highest", code_at(C1 - 1, 3),
       C1 * 30, 1, C1 - 2, digits=3)
    ch("3 digits, same code one step back and one ahead, floor at the past one: the future one", code_at(C1 - 1, 3),
       C1 * 30, 1, C1 - 1, digits=3)
    ch("3 digits, same code one step back and one ahead, floor above both: replayed", code_at(C1 - 1, 3),
       C1 * 30, 1, C1 + 1, digits=3)
    ch("3 digits, same code now and one step back, floor at the past one: current", code_at(C2, 3),
       C2 * 30, 1, C2 - 1, digits=3)
    ch("3 digits, same code now and one step back, floor at current: replayed", code_at(C2, 3),
       C2 * 30, 1, C2, digits=3)

    inv = []
    def i(name, error, operation, digits=6, period=30, key=k, alg="sha1", **kw):
        inv.append({"name": name, "operation": operation, "algorithm": alg, "secret_hex": key.hex(),
                    "digits": digits, "period": period, **kw, "error": error})
    i("digits 2", "digits", "new", digits=2)
    i("digits 11", "digits", "new", digits=11)
    i("period 0", "period", "new", period=0)
    i("period 86401", "period", "new", period=86401)
    i("empty secret", "secret_length", "new", key=b"")
    i("129-byte secret", "secret_length", "new", key=bytes(129))
    i("time before t0: generate", "time_before_t0", "generate", t0="100", time="99")
    i("time before t0: verify", "time_before_t0", "verify", t0="100", time="99", skew=1, code="123456")
    i("time before t0: check", "time_before_t0", "check", t0=str(U64), time=str(U64 - 1), skew=1, code="123456",
      last_used_step=None)
    i("skew 11: verify", "skew", "verify", t0="0", time="59", skew=11, code="123456")
    i("skew 11: check", "skew", "check", t0="0", time="59", skew=11, code="123456", last_used_step=None)
    return {
        "description": "TOTP (RFC 6238) vectors. Expected values computed with Python's hmac module; "
                       "see README.md for the format.",
        "generate": gen, "verify": ver, "check": chk, "invalid": inv,
    }

def dump(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")

if __name__ == "__main__":
    import sys
    out = sys.argv[1]
    dump(f"{out}/rfc4226.json", rfc4226())
    dump(f"{out}/rfc6238.json", rfc6238())
