// Cross-checks against independent JavaScript implementations (devDependencies): 2,000 random
// keys and times where Totp.generate must equal otpauth's and otplib's codes, verification
// agreeing with otpauth's validate, and key URIs read by otpauth's parser and back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomInt } from 'node:crypto'
import * as OTPAuth from 'otpauth'
import { generateSync } from 'otplib'
import { ww } from './helpers.mjs'

const { Totp, Hotp, parseUri, buildUri, base32Encode } = ww
const ALGORITHMS = ['sha1', 'sha256', 'sha512']
const CASES = 2000

function randomCase() {
  const algorithm = ALGORITHMS[randomInt(3)]
  // otplib's default guardrails want at least 16 bytes of secret and 6 to 8 digits.
  const secret = randomBytes(randomInt(16, 65))
  const digits = randomInt(6, 9)
  const period = [30, 30, 30, 60, 15, 20][randomInt(6)]
  // times up to the year 2100, plus the edges of 32-bit time now and then
  const time = randomInt(10) === 0 ? [0, 2 ** 31 - 1, 2 ** 31, 2 ** 32] [randomInt(4)] : randomInt(0, 4_102_444_800)
  return { algorithm, secret, digits, period, time }
}

test(`Totp.generate equals otpauth and otplib on ${CASES} random keys and times`, () => {
  let compared = 0
  for (let i = 0; i < CASES; i++) {
    const c = randomCase()
    const where = JSON.stringify({ ...c, secret: c.secret.toString('hex') })
    const ours = new Totp(c.secret, { algorithm: c.algorithm, digits: c.digits, period: c.period }).generate(c.time)
    const otpauth = new OTPAuth.TOTP({
      secret: new OTPAuth.Secret({ buffer: c.secret }),
      algorithm: c.algorithm.toUpperCase(),
      digits: c.digits,
      period: c.period,
    }).generate({ timestamp: c.time * 1000 })
    assert.equal(ours, otpauth, where)
    const otplib = generateSync({
      secret: base32Encode(c.secret),
      algorithm: c.algorithm,
      digits: c.digits,
      period: c.period,
      epoch: c.time,
    })
    assert.equal(ours, otplib, where)
    compared++
  }
  assert.equal(compared, CASES)
})

test('Hotp.generate equals otpauth on random counters', () => {
  for (let i = 0; i < 500; i++) {
    const c = randomCase()
    const counter = randomInt(0, 2 ** 47)
    const ours = new Hotp(c.secret, { algorithm: c.algorithm, digits: c.digits }).generate(counter)
    const theirs = new OTPAuth.HOTP({
      secret: new OTPAuth.Secret({ buffer: c.secret }),
      algorithm: c.algorithm.toUpperCase(),
      digits: c.digits,
    }).generate({ counter })
    assert.equal(ours, theirs)
  }
})

test('Totp.verify agrees with otpauth validate({ window: 1 })', () => {
  for (let i = 0; i < 500; i++) {
    const c = randomCase()
    const time = c.time + 3 * c.period
    const peer = new OTPAuth.TOTP({
      secret: new OTPAuth.Secret({ buffer: c.secret }),
      algorithm: c.algorithm.toUpperCase(),
      digits: c.digits,
      period: c.period,
    })
    const totp = new Totp(c.secret, { algorithm: c.algorithm, digits: c.digits, period: c.period })
    // a code from -2..+2 steps away, or a random one
    const shift = randomInt(-2, 3)
    const code = randomInt(4) === 0 ? String(randomInt(10 ** c.digits)).padStart(c.digits, '0') : totp.generate(time + shift * c.period)
    const ours = totp.verify(code, { unixTime: time, skew: 1 })
    const theirs = peer.validate({ token: code, timestamp: time * 1000, window: 1 })
    if (theirs === null) {
      assert.equal(ours, null)
    } else {
      // otpauth reports the nearest match too, but prefers the future on a tie; the codes match.
      assert.notEqual(ours, null)
      assert.equal(totp.generate(time + ours * c.period), code)
    }
  }
})

test('key URIs built by watchword are read by otpauth', () => {
  for (let i = 0; i < 300; i++) {
    const c = randomCase()
    const issuer = ['ACME Co', 'Ünïcödé & Sons', 'x', 'a/b?c=d'][randomInt(4)]
    const account = ['john.doe@email.com', 'Jane Doe', 'üser+tag@x.org', 'a%b'][randomInt(4)]
    const uri = buildUri({ issuer, account, secret: c.secret, algorithm: c.algorithm, digits: c.digits, period: c.period })
    const parsed = OTPAuth.URI.parse(uri)
    assert.ok(parsed instanceof OTPAuth.TOTP)
    assert.equal(parsed.issuer, issuer)
    assert.equal(parsed.label, account)
    assert.equal(parsed.algorithm, c.algorithm.toUpperCase())
    assert.equal(parsed.digits, c.digits)
    assert.equal(parsed.period, c.period)
    assert.deepEqual(Buffer.from(parsed.secret.bytes), c.secret)
    assert.equal(parsed.generate({ timestamp: c.time * 1000 }), new Totp(c.secret, { algorithm: c.algorithm, digits: c.digits, period: c.period }).generate(c.time))
  }
  const hotpUri = buildUri({ kind: 'hotp', issuer: 'ACME', account: 'alice', secret: 'JBSWY3DPEHPK3PXP', counter: 42 })
  const hotp = OTPAuth.URI.parse(hotpUri)
  assert.ok(hotp instanceof OTPAuth.HOTP)
  assert.equal(hotp.counter, 42)
})

test('key URIs written by otpauth are read by watchword', () => {
  for (let i = 0; i < 300; i++) {
    const c = randomCase()
    const issuer = ['ACME Co', 'Ünïcödé & Sons', 'x'][randomInt(3)]
    const label = ['john.doe@email.com', 'Jane Doe', 'üser+tag@x.org'][randomInt(3)]
    const peer = new OTPAuth.TOTP({
      issuer,
      label,
      secret: new OTPAuth.Secret({ buffer: c.secret }),
      algorithm: c.algorithm.toUpperCase(),
      digits: c.digits,
      period: c.period,
    })
    const key = parseUri(peer.toString())
    assert.equal(key.kind, 'totp')
    assert.equal(key.issuer, issuer)
    assert.equal(key.account, label)
    assert.equal(key.secret, base32Encode(c.secret))
    assert.equal(key.algorithm, c.algorithm)
    assert.equal(key.digits, c.digits)
    assert.equal(key.period, c.period)
    const totp = new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period })
    assert.equal(totp.generate(c.time), peer.generate({ timestamp: c.time * 1000 }))
  }
  const hotp = new OTPAuth.HOTP({ issuer: 'ACME', label: 'alice', secret: OTPAuth.Secret.fromBase32('JBSWY3DPEHPK3PXP'), counter: 7 })
  const key = parseUri(hotp.toString())
  assert.equal(key.kind, 'hotp')
  assert.equal(key.counter, 7)
  assert.equal(new Hotp(key.secret).generate(7), hotp.generate({ counter: 7 }))
})
