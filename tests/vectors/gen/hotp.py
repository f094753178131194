import hmac, hashlib, base64, struct
H = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
U64 = 2**64 - 1
def mac(alg, key, counter):
    return hmac.new(key, struct.pack(">Q", counter), H[alg]).digest()
def trunc(m):
    o = m[-1] & 0x0F
    return int.from_bytes(m[o:o+4], "big") & 0x7FFFFFFF
def hotp(alg, key, counter, digits):
    return str(trunc(mac(alg, key, counter)) % 10**digits).zfill(digits)
def b32(key):
    return base64.b32encode(key).decode().rstrip("=")
