// watchword quickstart: enroll a TOTP factor, verify it, print recovery codes, answer challenges,
// see a replay and an expiry, and move the records to another service as a host with its own
// database would.
//
// Run: make demo-node (or `node examples/quickstart.mjs` with watchword installed or built in
// bindings/node). The flow runs on a simulated clock that starts now, so it takes no real time.
import { randomUUID } from 'node:crypto'
import assert from 'node:assert/strict'
import { Verify, Totp, parseUri, WatchwordError } from 'watchword'

const verify = new Verify({ issuer: 'Acme Bank' })
const identity = randomUUID()
let now = Math.floor(Date.now() / 1000)

// 1. Create a factor for the user: the answer alone carries the secret and key URI.
let factor = verify.createFactor(identity, "Ada's phone", { now })
console.log(`factor ${factor.sid} for ${identity}: ${factor.status}`)
console.log(`scan this in an authenticator app: ${factor.binding.uri}`)
// Drawn for a dark terminal background; make demo QR=light draws it for a light one.
const background = process.env.WATCHWORD_QR_BACKGROUND === 'light' ? 'light' : 'dark'
process.stdout.write(factor.binding.qrTerminal({ background }))
console.log(`(drawn for a ${background} terminal background; switch with make demo QR=light or QR=dark)`)

// 2. The app computes the current code from the URI.
const key = parseUri(factor.binding.uri)
const app = new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period })
let code = app.generate(now)
console.log(`the app shows ${code}`)

// 3. Verify the factor with that code (enrollment).
const verified = verify.verifyFactor(identity, factor.sid, code, { now })
console.log(`verifyFactor: result=${verified.result}, status=${verified.status}`)
assert.equal(verified.status, 'verified')

// 3b. Recovery codes for the day the phone is lost: shown once, stored only as salted hashes.
// Redeeming one hashes it (PBKDF2): use the Promise forms, which run on the libuv pool, not on
// the event loop.
const backup = await verify.createFactorAsync(identity, 'Recovery codes', { factorType: 'recovery_codes', now })
console.log('recovery codes (print them or save them somewhere safe; each works once):')
for (const recoveryCode of backup.binding.codes) console.log(`  ${recoveryCode}`)
const redeemed = await verify.createChallengeAsync(identity, backup.sid, { authPayload: backup.binding.codes[0], now })
const { remaining } = (await verify.fetchFactorAsync(identity, backup.sid)).config
console.log(`a recovery code: result=${redeemed.result}; ${remaining} codes remain`)
assert.equal(redeemed.result, 'approved')
assert.equal(remaining, backup.binding.codes.length - 1)

// 4. Thirty seconds later the user logs in: a challenge answered with the new code.
now += 30
code = app.generate(now)
const challenge = verify.createChallenge(identity, factor.sid, { authPayload: code, now })
console.log(`challenge with ${code}: result=${challenge.result}, status=${challenge.status}`)
assert.equal(challenge.status, 'approved')

// 5. The same code again (a replay, e.g. a phished code): refused, as a result, not an error.
const replay = verify.createChallenge(identity, factor.sid, { authPayload: code, now: now + 5 })
console.log(`the same code again: result=${replay.result}, status=${replay.status}`)
assert.equal(replay.result, 'replayed')
assert.equal(replay.status, 'pending')

// 6. A challenge that expires: answering it after its expiration date is an error (60323).
const short = verify.createChallenge(identity, factor.sid, { expirationDate: new Date((now + 60) * 1000), now })
const later = now + 90
try {
  verify.updateChallenge(identity, short.sid, app.generate(later), { now: later })
  assert.fail('an expired challenge cannot be answered')
} catch (err) {
  if (!(err instanceof WatchwordError)) throw err
  console.log(`late answer: ${err.code} (Twilio ${err.twilioCode}, HTTP ${err.httpStatus}): ${err.message}`)
  assert.equal(err.code, 'challenge_expired')
}
console.log(`the challenge now reads as ${verify.fetchChallenge(identity, short.sid, { now: later }).status}`)

// 7. A host that keeps its own database exports the records and loads them elsewhere.
const entityRecord = verify.exportEntity(identity)
const factorRecord = verify.exportFactor(factor.sid)
const restored = new Verify({ issuer: 'Acme Bank' })
restored.importEntity(entityRecord)
const moved = restored.importFactor(factorRecord)
console.log(`restored factor ${moved.sid}: ${moved.status}, ${factorRecord.length} bytes of record`)
// Replay protection travels with the record: the code used in step 4 is still refused.
const again = restored.createChallenge(identity, moved.sid, { authPayload: code, now: now + 10 })
const fresh = restored.createChallenge(identity, moved.sid, { authPayload: app.generate(later), now: later })
console.log(`after the move: old code ${again.result}, fresh code ${fresh.result}`)
assert.equal(again.result, 'replayed')
assert.equal(fresh.result, 'approved')
