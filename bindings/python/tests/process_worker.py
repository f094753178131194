"""A worker process of test_processes.py: opens the service on the store URL it is given and
answers one command per line of stdin with one line on stdout, so that the test can start its
processes once and drive them round by round.

Usage: python process_worker.py STORE_URL SERVICE

Commands (fields separated by single spaces; codes and sids never hold spaces):

    challenge IDENTITY FACTOR_SID CODE NOW   create a challenge answered with CODE at NOW
    answer IDENTITY CHALLENGE_SID CODE NOW   answer a pending challenge
    enroll IDENTITY NOW                      create a factor; answers "ok SID URI"
    verify IDENTITY FACTOR_SID CODE NOW      verify a factor
    quit                                     exit

Answers: "ok RESULT" (approved, invalid_code, replayed, outside_window) or "error KIND".
The first line is "ready" once the service is open (or "error KIND").
"""

from __future__ import annotations

import sys

import watchword


def main() -> int:
    store, service = sys.argv[1], sys.argv[2]
    try:
        verify = watchword.Verify("Race", store=store, service=service)
    except watchword.WatchwordError as err:
        print(f"error {err.kind}", flush=True)
        return 1
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "quit":
            break
        try:
            if command == "challenge":
                identity, factor_sid, code, now = args
                challenge = verify.create_challenge(identity, factor_sid, auth_payload=code, now=int(now))
                answer = f"ok {challenge.result}"
            elif command == "answer":
                identity, challenge_sid, code, now = args
                answer = f"ok {verify.update_challenge(identity, challenge_sid, code, now=int(now)).result}"
            elif command == "enroll":
                identity, now = args
                factor = verify.create_factor(identity, "phone", now=int(now))
                assert factor.binding is not None
                answer = f"ok {factor.sid} {factor.binding.uri}"
            elif command == "verify":
                identity, factor_sid, code, now = args
                answer = f"ok {verify.verify_factor(identity, factor_sid, code, now=int(now)).result}"
            else:
                answer = f"error unknown_command_{command}"
        except watchword.WatchwordError as err:
            answer = f"error {err.kind}"
        print(answer, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
