// Every error kind surfaces as the documented JavaScript error with the fields of the shared
// error table; wrong argument types throw TypeError and out-of-range numbers RangeError, and
// neither changes any state.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ww, vectors, thrown } from './helpers.mjs'

const { Verify, Totp, Hotp, WatchwordError, parseUri, buildUri, base32Decode, base32Encode, generateSecret } = ww
const TABLE = new Map(vectors('errors.json').kinds.map((k) => [k.kind, k]))
const ID = 'user-0001-abcd'
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const T = 1_700_000_000
const codeAt = (t) => new Totp(SECRET).generate(t)

function assertKind(e, kind) {
  const row = TABLE.get(kind)
  assert.ok(row, `${kind} is in the shared table`)
  assert.ok(e instanceof Error, `${kind}: not an Error`)
  assert.equal(e.code, kind, e.message)
  if (kind !== 'invalid_parameter') assert.ok(e instanceof WatchwordError, `${kind} is a WatchwordError`)
  if (kind !== 'invalid_parameter') assert.equal(e.twilioCode, row.twilio, `${kind}: twilioCode`)
  assert.equal(e.httpStatus, row.http, `${kind}: httpStatus`)
  assert.equal(e.oktaCode, row.okta, `${kind}: oktaCode`)
  assert.ok(e.message.length > 10, `${kind}: a message that says what to do`)
}

/** A service with a verified factor; `settings` are added to the issuer. */
function enrolled(settings = {}) {
  const verify = new Verify({ issuer: 'Acme', ...settings })
  const factor = verify.createFactor(ID, 'phone', { secret: SECRET, now: T })
  assert.equal(verify.verifyFactor(ID, factor.sid, codeAt(T), { now: T }).status, 'verified')
  return { verify, sid: factor.sid }
}

/** How to provoke each kind through the public API (storage needs a failing store: Rust only). */
const PROVOKE = {
  invalid_parameter: () => new Verify({ issuer: 'Acme' }).createEntity('short'),
  entity_not_found: () => new Verify({ issuer: 'Acme' }).fetchEntity(ID),
  factor_not_found: () => enrolled().verify.fetchFactor(ID, 'YF' + '0'.repeat(32)),
  challenge_not_found: () => enrolled().verify.fetchChallenge(ID, 'YC' + '0'.repeat(32)),
  entity_already_exists: () => {
    const verify = new Verify({ issuer: 'Acme' })
    verify.createEntity(ID)
    verify.createEntity(ID)
  },
  factor_limit_reached: () => {
    const verify = new Verify({ issuer: 'Acme', factorsPerEntity: 1 })
    verify.createFactor(ID, 'one', { now: T })
    verify.createFactor(ID, 'two', { now: T })
  },
  factor_creation_rate_limited: () => {
    const verify = new Verify({ issuer: 'Acme', factorCreationsPerDay: 1 })
    const f = verify.createFactor(ID, 'one', { now: T })
    verify.deleteFactor(ID, f.sid)
    verify.createFactor(ID, 'two', { now: T + 60 })
  },
  factor_not_verified: () => {
    const verify = new Verify({ issuer: 'Acme' })
    const f = verify.createFactor(ID, 'phone', { now: T })
    verify.createChallenge(ID, f.sid, { now: T })
  },
  illegal_factor_status: () => {
    const { verify, sid } = enrolled()
    verify.verifyFactor(ID, sid, codeAt(T + 30), { now: T + 30 })
  },
  factor_verification_attempts_reached: () => {
    const verify = new Verify({ issuer: 'Acme', factorVerificationAttempts: 1 })
    const f = verify.createFactor(ID, 'phone', { secret: SECRET, now: T })
    assert.equal(verify.verifyFactor(ID, f.sid, '000000', { now: T }).result, 'invalid_code')
    verify.verifyFactor(ID, f.sid, codeAt(T), { now: T })
  },
  challenge_creation_limit_reached: () => {
    const { verify, sid } = enrolled({ challengeQuotaHour: 1 })
    verify.createChallenge(ID, sid, { now: T + 1 })
    verify.createChallenge(ID, sid, { now: T + 2 })
  },
  challenge_attempts_reached: () => {
    const { verify, sid } = enrolled({ challengeAttempts: 1 })
    const c = verify.createChallenge(ID, sid, { now: T + 1 })
    assert.equal(verify.updateChallenge(ID, c.sid, '000000', { now: T + 2 }).result, 'invalid_code')
    verify.updateChallenge(ID, c.sid, codeAt(T + 60), { now: T + 60 })
  },
  challenge_already_responded: () => {
    const { verify, sid } = enrolled()
    const c = verify.createChallenge(ID, sid, { now: T + 60, authPayload: codeAt(T + 60) })
    assert.equal(c.status, 'approved')
    verify.updateChallenge(ID, c.sid, codeAt(T + 90), { now: T + 90 })
  },
  challenge_expired: () => {
    const { verify, sid } = enrolled()
    const c = verify.createChallenge(ID, sid, { now: T + 1, expirationDate: T + 31 })
    verify.updateChallenge(ID, c.sid, codeAt(T + 60), { now: T + 60 })
  },
  factor_locked: () => {
    const { verify, sid } = enrolled({ lockoutThreshold: 1 })
    const c = verify.createChallenge(ID, sid, { now: T + 1 })
    assert.equal(verify.updateChallenge(ID, c.sid, '000000', { now: T + 2 }).result, 'invalid_code')
    verify.updateChallenge(ID, c.sid, codeAt(T + 3), { now: T + 3 })
  },
  conflict: () => {
    const { verify, sid } = enrolled()
    const stale = verify.exportFactor(sid)
    verify.updateFactor(ID, sid, { friendlyName: 'renamed', now: T + 5 })
    verify.importFactor(stale)
  },
}

test('every error kind of the shared table surfaces with its codes', async (t) => {
  for (const kind of TABLE.keys()) {
    await t.test(kind, () => {
      if (kind === 'storage') {
        // The in-memory store never fails; the kind's codes come from core's table.
        const row = ww.errorKinds().find((k) => k.code === 'storage')
        assert.deepEqual([row.twilioCode, row.httpStatus, row.oktaCode], [TABLE.get(kind).twilio, TABLE.get(kind).http, TABLE.get(kind).okta])
        return
      }
      assert.ok(PROVOKE[kind], `no way to provoke ${kind}`)
      assertKind(thrown(PROVOKE[kind]), kind)
    })
  }
})

test('factor_locked says until when', () => {
  const e = thrown(PROVOKE.factor_locked)
  assert.match(e.message, /until Unix time \d+/)
})

test('a wrong code is a result, never an error', () => {
  const { verify, sid } = enrolled({ challengeAttempts: 50, lockoutThreshold: 50 })
  const now = T + 120
  const c = verify.createChallenge(ID, sid, { now })
  const odd = ['000000', '12345', '1234567', '', 'abcdef', '１２３４５６', '12345\u0000', ' 12345', 'x'.repeat(100)]
  const totp = new Totp(SECRET)
  for (const code of odd) {
    if (code === totp.generate(now)) continue
    const answer = verify.updateChallenge(ID, c.sid, code, { now })
    assert.equal(answer.result, 'invalid_code', JSON.stringify(code))
    assert.equal(answer.resultOffset, null)
    assert.equal(answer.status, 'pending')
    assert.equal(totp.verify(code, { unixTime: now }), null)
    assert.equal(totp.check(code, { unixTime: now }).result, 'invalid_code')
    assert.equal(new Hotp(SECRET).verify(code, 0, { lookAhead: 10 }), null)
  }
  // two steps in the past with skew 1: one step beyond the window, reported with its offset
  const outside = verify.updateChallenge(ID, c.sid, codeAt(now - 60), { now })
  assert.equal(outside.result, 'outside_window')
  assert.equal(outside.resultOffset, -2)
  assert.equal(verify.updateChallenge(ID, c.sid, codeAt(now), { now }).status, 'approved')
  // the same code on a new challenge: replayed
  const again = verify.createChallenge(ID, sid, { now: now + 5 })
  const replayed = verify.updateChallenge(ID, again.sid, codeAt(now), { now: now + 5 })
  assert.equal(replayed.result, 'replayed')
  assert.equal(replayed.status, 'pending')
})

function assertTypeError(fn, pattern) {
  const e = thrown(fn)
  assert.ok(e instanceof TypeError, `expected a TypeError, got ${e && e.name}: ${e && e.message}`)
  assert.equal(e.code, 'invalid_parameter')
  assert.equal(e.detail, 'type')
  assert.equal(e.httpStatus, 400)
  if (pattern) assert.match(e.message, pattern)
  return e
}

function assertRangeError(fn, pattern) {
  const e = thrown(fn)
  assert.ok(e instanceof RangeError, `expected a RangeError, got ${e && e.name}: ${e && e.message}`)
  assert.equal(e.code, 'invalid_parameter')
  assert.equal(e.httpStatus, 400)
  if (pattern) assert.match(e.message, pattern)
  return e
}

test('primitives: wrong argument types throw TypeError', () => {
  const totp = new Totp(SECRET)
  const hotp = new Hotp(SECRET)
  assertTypeError(() => new Totp(12345), /secret must be a Uint8Array, a Buffer or a Base32 string, not a number/)
  assertTypeError(() => new Totp(null))
  assertTypeError(() => new Totp([1, 2, 3]))
  assertTypeError(() => new Totp(new Uint16Array(10)))
  assertTypeError(() => new Totp(SECRET, 'sha1'), /options must be an object/)
  assertTypeError(() => new Totp(SECRET, { algorithm: 1 }), /options.algorithm must be a string/)
  assertTypeError(() => new Totp(SECRET, { digits: '6' }), /options.digits must be a number, not a string/)
  assertTypeError(() => new Totp(SECRET, { digit: 6 }), /unknown option "digit"/)
  assertTypeError(() => totp.generate('1700000000'), /unixTime must be/)
  assertTypeError(() => totp.generate({}))
  assertTypeError(() => totp.verify(123456), /code must be a string, not a number/)
  assertTypeError(() => totp.verify('123456', { unixtime: T }), /unknown option "unixtime"/)
  assertTypeError(() => totp.verify('123456', { skew: '1' }))
  assertTypeError(() => totp.check('123456', { lastUsedStep: '5' }))
  assertTypeError(() => hotp.generate('1'), /counter must be a number or a bigint/)
  assertTypeError(() => hotp.verify('123456', null))
  assertTypeError(() => hotp.verify('123456', 0, { lookahead: 5 }), /unknown option "lookahead"/)
  assertTypeError(() => base32Encode('abc'), /bytes must be a Uint8Array or a Buffer, not a string/)
  assertTypeError(() => base32Decode(Buffer.from('abc')))
  assertTypeError(() => parseUri(undefined), /uri must be a string, not undefined/)
  assertTypeError(() => buildUri('otpauth://'), /fields must be an object/)
  assertTypeError(() => buildUri({ account: 'a', secret: SECRET, extra: [['k']] }))
  assertTypeError(() => generateSecret(256))
})

test('primitives: out-of-range numbers throw RangeError', () => {
  const totp = new Totp(SECRET)
  assertRangeError(() => new Totp(SECRET, { digits: 11 }), /digits must be from 3 to 10, not 11/)
  assertRangeError(() => new Totp(SECRET, { digits: 2 }))
  assertRangeError(() => new Totp(SECRET, { digits: 6.5 }), /must be an integer/)
  assertRangeError(() => new Totp(SECRET, { period: 0 }), /period/)
  assertRangeError(() => new Totp(SECRET, { period: 86401 }))
  assertRangeError(() => new Totp(SECRET, { digits: -1 }))
  assertRangeError(() => new Totp(SECRET, { digits: Infinity }))
  assertRangeError(() => totp.generate(-1))
  assertRangeError(() => totp.generate(NaN))
  assertRangeError(() => totp.generate(2 ** 53))
  assertRangeError(() => totp.generate(-1n))
  assertRangeError(() => totp.generate(2n ** 64n))
  assertRangeError(() => totp.generate(new Date(NaN)))
  assertRangeError(() => totp.generate(new Date(-1000)))
  assertRangeError(() => totp.verify('123456', { skew: 11 }), /skew/)
  assertRangeError(() => totp.verify('123456', { skew: -1 }))
  assertRangeError(() => new Totp(SECRET, { t0: 100 }).generate(99), /before the TOTP epoch/)
  assertRangeError(() => new Hotp(SECRET).generate(1.5))
  assertRangeError(() => new Hotp(SECRET).generate(-1))
  assertRangeError(() => new Hotp(SECRET).verify('123456', 0, { lookAhead: 1001 }), /look_ahead/)
  assertRangeError(() => buildUri({ account: 'a', secret: SECRET, digits: 11 }))
  // a bad value that is not a number stays a WatchwordError
  const e = thrown(() => new Totp(SECRET, { algorithm: 'md5' }))
  assert.ok(e instanceof WatchwordError)
  assert.equal(e.detail, 'algorithm')
  assert.ok(thrown(() => new Totp(new Uint8Array(0))) instanceof WatchwordError)
  assert.ok(thrown(() => new Totp(new Uint8Array(129))) instanceof WatchwordError)
})

test('primitives: a rejected call leaves the key working exactly as before', () => {
  const totp = new Totp(SECRET, { digits: 8 })
  const before = totp.generate(T)
  thrown(() => totp.verify(123))
  thrown(() => totp.verify('1', { skew: 99 }))
  thrown(() => totp.generate(-5))
  assert.equal(totp.generate(T), before)
  assert.equal(totp.digits, 8)
})

test('service: bad arguments throw TypeError/RangeError and change nothing', () => {
  const { verify, sid } = enrolled({ challengeAttempts: 2 })
  const entity = verify.fetchEntity(ID)
  const factor = verify.fetchFactor(ID, sid)
  const c = verify.createChallenge(ID, sid, { now: T + 60 })
  const record = () => [verify.exportEntity(ID), verify.exportFactor(sid), verify.exportChallenge(c.sid)]
  const before = record()

  assertTypeError(() => new Verify('Acme'), /settings must be an object/)
  assertTypeError(() => new Verify({ issuer: 'Acme', skw: 1 }), /unknown setting "skw"/)
  assertTypeError(() => new Verify({ issuer: 'Acme', skew: '1' }))
  assertRangeError(() => new Verify({ issuer: 'Acme', skew: 3 }), /skew/)
  assertRangeError(() => new Verify({ issuer: 'Acme', challengeExpiration: 0 }))
  assertRangeError(() => new Verify({ issuer: 'Acme', lockoutSeconds: 1.5 }))
  assert.ok(thrown(() => new Verify({ issuer: 'a:b' })) instanceof WatchwordError)

  assertTypeError(() => verify.createFactor(ID, 5), /friendlyName must be a string, not a number/)
  assertTypeError(() => verify.createFactor(ID), /friendlyName must be a string, not undefined/)
  assertTypeError(() => verify.createFactor(ID, 'x', { metadata: { n: 1 } }), /options.metadata.n must be a string/)
  assertTypeError(() => verify.createFactor(ID, 'x', { metadata: ['a'] }))
  assertTypeError(() => verify.createFactor(ID, 'x', { codeLength: '6' }))
  assertTypeError(() => verify.createFactor(ID, 'x', { digits: 6 }), /unknown option "digits"/)
  assertTypeError(() => verify.createFactor(ID, 'x', { secret: 123 }))
  assertTypeError(() => verify.createFactor(ID, 'x', { now: 'now' }))
  const range = assertRangeError(() => verify.createFactor(ID, 'x', { codeLength: 9 }))
  assert.equal(range.twilioCode, 60370)
  assertRangeError(() => verify.createFactor(ID, 'x', { skew: -1 }))
  assertRangeError(() => verify.createFactor(ID, 'x', { timeStep: 61 }))
  assertTypeError(() => verify.verifyFactor(ID, sid, 123456), /code must be a string/)
  assertTypeError(() => verify.createChallenge(ID, sid, { authPayload: 123456 }))
  assertTypeError(() => verify.createChallenge(ID, sid, { details: 'hi' }))
  assertTypeError(() => verify.createChallenge(ID, sid, { details: { message: 'hi', fields: [{ label: 'l', value: 1 }] } }))
  assertTypeError(() => verify.createChallenge(ID, sid, { hiddenDetails: { ip: ['1.2.3.4'] } }))
  assertTypeError(() => verify.createChallenge(ID, sid, { expirationDate: {} }))
  assertRangeError(() => verify.createChallenge(ID, sid, { expirationDate: T + 60 + 7200, now: T + 60 }))
  assertRangeError(() => verify.createChallenge(ID, sid, { expirationDate: new Date((T + 60 + 7200) * 1000), now: T + 60 }))
  assertTypeError(() => verify.updateChallenge(ID, c.sid, 314159), /authPayload must be a string/)
  assertTypeError(() => verify.updateChallenge(ID, c.sid, '314159', { status: 'approved' }))
  assertTypeError(() => verify.listChallenges(ID, { pageSize: 50 }))
  assertTypeError(() => verify.importFactor({}))
  assertTypeError(() => verify.sweep(5))
  assertTypeError(() => verify.call('sweep', {}))

  // the Twilio code of a bad argument is the one core gives an invalid value of it
  assert.equal(assertTypeError(() => verify.fetchEntity(12345678)).twilioCode, 60367, 'identity')
  assert.equal(assertTypeError(() => verify.createFactor(ID, 5)).twilioCode, 60306, 'friendly_name')
  assert.equal(assertTypeError(() => verify.createFactor(ID, 'x', { codeLength: '6' })).twilioCode, 60306)
  assert.equal(assertRangeError(() => verify.createFactor(ID, 'x', { codeLength: 6.5 })).twilioCode, 60306)
  assert.equal(assertRangeError(() => verify.createFactor(ID, 'x', { skew: 3 })).twilioCode, 60370, 'config.skew')
  assert.equal(assertTypeError(() => verify.createFactor(ID, 'x', { digits: 6 })).twilioCode, 60306, 'arguments')
  assert.equal(assertTypeError(() => new Totp(5)).twilioCode, 60300, 'OTP input')

  assert.deepEqual(record(), before, 'no record changed')
  assert.deepEqual(verify.fetchEntity(ID), entity)
  assert.deepEqual(verify.fetchFactor(ID, sid), factor)
  assert.equal(verify.listFactors(ID).length, 1)
  assert.equal(verify.listChallenges(ID).length, 1)
  // and no attempt was spent: two wrong answers are still results, the right code approves after
  assert.equal(verify.updateChallenge(ID, c.sid, '000000', { now: T + 61 }).result, 'invalid_code')
  assert.equal(verify.updateChallenge(ID, c.sid, codeAt(T + 62), { now: T + 62 }).result, 'approved')
})

test('service: every error names its argument as JavaScript spells it, in parameter and message', () => {
  const { verify, sid } = enrolled()
  const cases = [
    [() => new Verify({ issuer: 'Acme', challengeExpiration: 0 }), RangeError, 'challengeExpiration'],
    [() => new Verify({ issuer: 'Acme', lockoutSeconds: 1.5 }), RangeError, 'lockoutSeconds'],
    [() => new Verify({ issuer: 'Acme', skew: '1' }), TypeError, 'skew'],
    [() => new Verify({ issuer: 'Acme', minSecretBytes: 9 }), RangeError, 'minSecretBytes'],
    [() => verify.createFactor(ID, 'x', { codeLength: 9 }), RangeError, 'codeLength'],
    [() => verify.createFactor(ID, 'x', { timeStep: 6.5 }), RangeError, 'timeStep'],
    [() => verify.createFactor(ID, 5), TypeError, 'friendlyName'],
    [() => verify.fetchFactor(ID, 'YF1'), WatchwordError, 'factorSid'],
    [() => verify.createChallenge(ID, sid, { expirationDate: T + 7200, now: T }), RangeError, 'expirationDate'],
    [() => verify.createChallenge(ID, sid, { hiddenDetails: { ip: 1 } }), TypeError, 'hiddenDetails'],
    [() => verify.listChallenges(ID, { pageToken: 5 }), TypeError, 'pageToken'],
    [() => verify.listChallenges(ID, { limit: 0 }), RangeError, 'limit'],
    [() => verify.updateChallenge(ID, 'YC' + '0'.repeat(32), 5), TypeError, 'authPayload'],
  ]
  for (const [fn, type, parameter] of cases) {
    const e = thrown(fn)
    assert.ok(e instanceof type, `${parameter}: expected a ${type.name}, got ${e.name}: ${e.message}`)
    assert.equal(e.parameter, parameter, e.message)
    const name = parameter.replace(/^config\./, '')
    assert.match(e.message, new RegExp(name), `the message names ${name}`)
    assert.doesNotMatch(e.message, /[a-z]_[a-z]/, `no snake_case name in: ${e.message}`)
  }
  // errors that are about no argument say so
  assert.equal(thrown(() => verify.fetchEntity('nobody-at-all')).parameter, null)
  assert.equal(thrown(() => new Totp(SECRET, { digits: 11 })).parameter, null)
})

test('service: the constructor takes exactly the camelCase spelling the methods take', () => {
  for (const s of Verify.settings()) {
    const snakeName = s.name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
    assert.ok(new Verify({ issuer: 'Acme', [s.name]: s.default }), s.name)
    if (snakeName !== s.name) {
      const e = thrown(() => new Verify({ issuer: 'Acme', [snakeName]: s.default }))
      assert.ok(e instanceof TypeError, `${snakeName}: ${e.message}`)
      assert.match(e.message, new RegExp(`unknown setting "${snakeName}"`))
    }
  }
  const verify = new Verify({ issuer: 'Acme' })
  for (const option of ['code_length', 'CodeLength', 'codelength']) {
    const e = thrown(() => verify.createFactor(ID, 'x', { [option]: 6 }))
    assert.ok(e instanceof TypeError, option)
    assert.match(e.message, new RegExp(`unknown option "${option}"`))
    assert.equal(e.twilioCode, 60306)
  }
  // the methods check their receiver
  for (const receiver of [undefined, {}, new Totp(SECRET)]) {
    assert.ok(thrown(() => Verify.prototype.fetchEntity.call(receiver, ID)) instanceof TypeError)
  }
  // an option may not restate a positional argument
  assert.match(thrown(() => verify.createFactor(ID, 'x', { identity: ID })).message, /unknown option "identity"/)
})

test('service: an options object reads the same whatever its shape, size or keys', () => {
  const verify = new Verify({ issuer: 'Acme' })
  const shapes = {
    plain: (o) => o,
    'null prototype': (o) => Object.assign(Object.create(null), o),
    'class instance': (o) => Object.assign(new (class Options {})(), o),
    getters: (o) => Object.defineProperties({}, Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, { get: () => v, enumerable: true }]))),
  }
  const outcome = (fn) => {
    try {
      const f = fn()
      return ['ok', f.status, f.config.codeLength, f.config.timeStep, f.dateCreated.getTime()]
    } catch (e) {
      return [e.constructor.name, e.message, e.parameter]
    }
  }
  const long = 'x'.repeat(100)
  const cases = [
    { secret: SECRET, now: T },
    { secret: SECRET, now: T, codeLength: 8, timeStep: 60, skew: 0 }, // five keys
    {},
    { now: T, digits: 6 },
    { [long]: 1 },
    { secret: 5 },
    { codeLength: 8, now: undefined, timeStep: undefined },
  ]
  for (const [i, options] of cases.entries()) {
    const outcomes = Object.entries(shapes).map(([shape, make]) => [shape, outcome(() => verify.createFactor(`user-${i}-abcd`, 'x', make(options)))])
    for (const [shape, seen] of outcomes) assert.deepEqual(seen, outcomes[0][1], `${JSON.stringify(options)} as ${shape}`)
  }
  assert.match(thrown(() => verify.createFactor(ID, 'x', { [long]: 1 })).message, new RegExp(`unknown option "${long}"`))
  // More distinct keys than the methods keep names of: every one is still told by its name.
  for (let i = 0; i < 300; i++) {
    assert.match(thrown(() => verify.fetchEntity(ID, { [`k${i}`]: 1 })).message, new RegExp(`unknown option "k${i}"`))
  }
  const f = verify.createFactor(ID, 'x', { secret: SECRET, now: T, codeLength: 8 })
  assert.equal(f.config.codeLength, 8)
  assert.equal(f.dateCreated.getTime(), T * 1000)
})

test('service: a challenge reads the same through every path of the methods', async () => {
  const verify = new Verify({ issuer: 'Acme' })
  const factor = verify.createFactor(ID, 'phone', { secret: SECRET, now: T })
  verify.verifyFactor(ID, factor.sid, codeAt(T), { now: T })
  const details = { message: 'Log in?', fields: [{ label: 'IP', value: '10.0.0.1' }] }
  const made = [
    verify.createChallenge(ID, factor.sid, { now: T + 60 }), // pending
    verify.createChallenge(ID, factor.sid, { authPayload: codeAt(T + 90), now: T + 90 }), // approved
    verify.createChallenge(ID, factor.sid, { authPayload: '000000', now: T + 150 }), // invalid code
    verify.createChallenge(ID, factor.sid, { details, metadata: { k: 'v' }, now: T + 180 }),
  ]
  assert.deepEqual(made.map((c) => c.result), [undefined, 'approved', 'invalid_code', undefined])
  assert.equal(made[1].resultOffset, 0)
  assert.equal(made[2].resultOffset, null)
  assert.equal(made[0].dateResponded, null)
  for (const challenge of made) {
    const plain = verify.fetchChallenge(ID, challenge.sid, { now: T + 200 })
    const bare = verify.fetchChallenge(ID, challenge.sid, Object.assign(Object.create(null), { now: T + 200 }))
    const promised = await verify.fetchChallengeAsync(ID, challenge.sid, { now: T + 200 })
    assert.deepEqual(plain, bare)
    assert.deepEqual(plain, promised)
    assert.deepEqual(Object.keys(plain), Object.keys(promised))
    const { result, resultOffset, ...rest } = challenge
    assert.deepEqual({ ...rest, status: plain.status }, plain)
  }
  // Answers of other kinds and errors between two challenges leave nothing behind.
  assert.equal(verify.fetchEntity(ID, { now: T }).identity, ID)
  assert.equal(thrown(() => verify.fetchChallenge(ID, 'YC' + '0'.repeat(32), { now: T })).code, 'challenge_not_found')
  assert.equal(verify.fetchChallenge(ID, made[1].sid, { now: T + 200 }).status, 'approved')
})

test('service: the methods find their instance, and only a Verify, whatever the receiver', () => {
  const verify = new Verify({ issuer: 'Acme' })
  verify.createEntity(ID, { now: T })
  // The first call with options leaves the instance's slot on it, under a symbol.
  const [slot] = Object.getOwnPropertySymbols(verify)
  assert.equal(typeof verify[slot], 'number')
  for (const receiver of [undefined, null, {}, new Totp(SECRET), { [slot]: verify[slot] + 1000 }, { [slot]: 'x' }]) {
    const e = thrown(() => Verify.prototype.fetchEntity.call(receiver, ID, { now: T }))
    assert.ok(e instanceof TypeError, String(receiver))
  }
  // A frozen instance keeps no slot and still works; so do two services side by side.
  const frozen = Object.freeze(new Verify({ issuer: 'Frozen' }))
  frozen.createEntity('frozen-user', { now: T })
  assert.equal(frozen.fetchEntity('frozen-user', { now: T }).identity, 'frozen-user')
  assert.equal(thrown(() => verify.fetchEntity('frozen-user', { now: T })).code, 'entity_not_found')
  assert.equal(verify.fetchEntity(ID, { now: T }).identity, ID)
  // A closed service refuses, through either path.
  verify.close()
  for (const options of [{ now: T }, undefined, Object.create(null)]) {
    assert.equal(thrown(() => verify.fetchEntity(ID, options)).code, 'storage')
  }
})

test('Totp.check answers the results as the service spells them', () => {
  const spelled = new Set(ww.verificationResults().map((r) => r.result))
  const totp = new Totp(SECRET)
  const seen = new Set([
    totp.check(codeAt(T), { unixTime: T }).result,
    totp.check(codeAt(T), { unixTime: T, lastUsedStep: Math.floor(T / 30) + 5 }).result,
    totp.check(codeAt(T + 60), { unixTime: T, skew: 0 }).result,
    totp.check('000000', { unixTime: T + 7 }).result,
  ])
  assert.deepEqual([...seen].sort(), [...spelled].sort())
})
