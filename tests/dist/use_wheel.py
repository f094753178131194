"""Uses the installed wheel as an application would (make dist-test runs it in a fresh virtualenv,
outside the repository): the RFC 6238 vector, then the Verify service on a SQLite file through
the SQLite the wheel bundles, opened a second time to show the records were stored.

    python use_wheel.py DB_PATH
"""

import os
import sys
import sysconfig
import uuid

import watchword

site = os.path.realpath(sysconfig.get_paths()["purelib"])
where = os.path.realpath(watchword.__file__)
assert where.startswith(site + os.sep), f"watchword imported from {where}, not from {site}"

totp = watchword.Totp(b"12345678901234567890")
assert totp.generate(59) == "287082", totp.generate(59)
assert totp.verify("287082", unix_time=59, skew=1) == 0

store = "sqlite:///" + os.path.abspath(sys.argv[1])
identity = str(uuid.uuid4())
now = 1_700_000_000
verify = watchword.Verify("Acme", store=store, service="dist")
factor = verify.create_factor(identity, "phone", now=now)
app = watchword.KeyUri.parse(factor.binding.uri).totp()
factor = verify.verify_factor(identity, factor.sid, app.generate(now), now=now)
assert (factor.status, factor.result) == ("verified", "approved"), (factor.status, factor.result)

again = watchword.Verify("Acme", store=store, service="dist")
challenge = again.create_challenge(identity, factor.sid, auth_payload=app.generate(now + 30), now=now + 30)
assert (challenge.status, challenge.result) == ("approved", "approved"), (challenge.status, challenge.result)
print(f"wheel: watchword from {where} verifies codes and keeps factors in SQLite")
