"""Writes tests/vectors/errors.json, copied by hand from SPEC section 6 (the authority)."""
import sys
from gen import dump
K = [
 # code, kind, twilio, http, okta
 (1, "invalid_parameter", 60300, 400, "E0000001"),
 (2, "entity_not_found", 60392, 404, "E0000007"),
 (3, "factor_not_found", 60390, 404, "E0000007"),
 (4, "challenge_not_found", 60391, 404, "E0000007"),
 (5, "entity_already_exists", 60301, 409, None),
 (6, "factor_limit_reached", 60315, 400, None),
 (7, "factor_creation_rate_limited", 60326, 429, "E0000047"),
 (8, "factor_not_verified", 60318, 403, None),
 (9, "illegal_factor_status", 60383, 403, "E0000154"),
 (10, "factor_verification_attempts_reached", 60310, 429, "E0000047"),
 (11, "challenge_creation_limit_reached", 60312, 429, None),
 (12, "challenge_attempts_reached", 60308, 429, "E0000047"),
 (13, "challenge_already_responded", 60322, 403, None),
 (14, "challenge_expired", 60323, 403, None),
 (15, "factor_locked", None, 429, "E0000069"),
 (16, "conflict", None, 409, None),
 (17, "storage", None, 500, None),
]
dump(sys.argv[1] + "/errors.json", {
  "description": "Every error kind with its stable number, Twilio code, HTTP status and Okta code (SPEC section 6). See README.md for the format.",
  "kinds": [{"code": c, "kind": k, "twilio": t, "http": h, "okta": o} for c, k, t, h, o in K],
  "invalid_parameter_twilio": [
    {"parameter": "identity", "twilio": 60367},
    {"parameter": "config.code_length", "twilio": 60370},
    {"parameter": "config.alg", "twilio": 60370},
    {"parameter": "friendly_name", "twilio": 60306},
    {"parameter": None, "twilio": 60300},
  ],
  "results": [
    {"result": "approved", "okta": None},
    {"result": "invalid_code", "okta": "E0000068"},
    {"result": "replayed", "okta": "E0000082"},
    {"result": "outside_window", "okta": "E0000083"},
  ],
})
