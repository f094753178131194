// The shared RFC 4226/6238, key URI and error-table vectors (tests/vectors), through the Node API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ww, vectors, hex, thrown, PACKAGE_DIR } from './helpers.mjs'

const { Totp, Hotp, parseUri, buildUri, base32Encode, base32Decode, WatchwordError, errorKinds } = ww

// 64-bit values are decimal strings in the vectors; the package takes bigints for them.
const big = (s) => BigInt(s)

function invalidDetail(fn) {
  const e = thrown(fn)
  assert.ok(e instanceof Error, `not an Error: ${e}`)
  assert.equal(e.code, 'invalid_parameter')
  return e.detail
}

const rfc4226 = vectors('rfc4226.json')
const rfc6238 = vectors('rfc6238.json')
const uris = vectors('uris.json')
const errors = vectors('errors.json')

test('rfc4226 generate', async (t) => {
  for (const c of rfc4226.generate) {
    await t.test(c.name, () => {
      const hotp = new Hotp(hex(c.secret_hex), { algorithm: c.algorithm, digits: c.digits })
      assert.equal(hotp.generate(big(c.counter)), c.code)
      if (c.secret_base32) {
        const viaBase32 = new Hotp(c.secret_base32, { algorithm: c.algorithm, digits: c.digits })
        assert.equal(viaBase32.generate(big(c.counter)), c.code)
        assert.equal(base32Encode(hex(c.secret_hex)), c.secret_base32)
        assert.deepEqual(base32Decode(c.secret_base32), hex(c.secret_hex))
      }
      if (BigInt(c.counter) <= BigInt(Number.MAX_SAFE_INTEGER)) {
        assert.equal(hotp.generate(Number(c.counter)), c.code)
      }
    })
  }
})

test('rfc4226 verify', async (t) => {
  for (const c of rfc4226.verify) {
    await t.test(c.name, () => {
      const hotp = new Hotp(hex(c.secret_hex), { algorithm: c.algorithm, digits: c.digits })
      const got = hotp.verify(c.code, big(c.counter), { lookAhead: c.look_ahead })
      assert.equal(got === null ? null : String(got), c.match)
      if (got !== null) assert.equal(typeof got, 'bigint', 'a bigint counter gives a bigint match')
    })
  }
})

test('rfc4226 invalid', async (t) => {
  for (const c of rfc4226.invalid) {
    await t.test(c.name, () => {
      const make = () => new Hotp(hex(c.secret_hex), { algorithm: c.algorithm, digits: c.digits })
      if (c.operation === 'new') {
        assert.equal(invalidDetail(make), c.error)
      } else {
        const hotp = make()
        assert.equal(invalidDetail(() => hotp.verify(c.code, big(c.counter), { lookAhead: c.look_ahead })), c.error)
      }
    })
  }
})

function totpOf(c) {
  return new Totp(hex(c.secret_hex), { algorithm: c.algorithm, digits: c.digits, period: c.period, t0: big(c.t0 ?? '0') })
}

test('rfc6238 generate', async (t) => {
  for (const c of rfc6238.generate) {
    await t.test(c.name, () => {
      const totp = totpOf(c)
      assert.equal(totp.generate(big(c.time)), c.code)
      assert.equal(String(totp.step(big(c.time))), c.step)
      if (BigInt(c.time) <= BigInt(Number.MAX_SAFE_INTEGER) && c.t0 === '0') {
        assert.equal(totp.generate(Number(c.time)), c.code)
        const date = new Date(Number(c.time) * 1000)
        if (!Number.isNaN(date.getTime())) assert.equal(totp.generate(date), c.code)
      }
      if (c.secret_base32) {
        const viaBase32 = new Totp(c.secret_base32, { algorithm: c.algorithm, digits: c.digits, period: c.period, t0: big(c.t0) })
        assert.equal(viaBase32.generate(big(c.time)), c.code)
      }
    })
  }
})

test('rfc6238 verify', async (t) => {
  for (const c of rfc6238.verify) {
    await t.test(c.name, () => {
      const offset = totpOf(c).verify(c.code, { unixTime: big(c.time), skew: c.skew })
      assert.equal(offset, c.match === null ? null : c.match.offset)
      // check without a floor agrees with verify
      const checked = totpOf(c).check(c.code, { unixTime: big(c.time), skew: c.skew })
      if (c.match === null) {
        assert.notEqual(checked.result, 'approved')
      } else {
        assert.equal(checked.result, 'approved')
        assert.equal(String(checked.step), c.match.step)
        assert.equal(checked.offset, c.match.offset)
      }
    })
  }
})

test('rfc6238 check', async (t) => {
  for (const c of rfc6238.check) {
    await t.test(c.name, () => {
      const floor = c.last_used_step === null ? null : big(c.last_used_step)
      const got = totpOf(c).check(c.code, { unixTime: big(c.time), skew: c.skew, lastUsedStep: floor })
      assert.equal(got.result, c.result)
      if (c.match === null) {
        assert.equal(got.step, null)
        assert.equal(got.offset, null)
      } else {
        assert.equal(String(got.step), c.match.step)
        assert.equal(got.offset, c.match.offset)
      }
    })
  }
})

test('rfc6238 invalid', async (t) => {
  for (const c of rfc6238.invalid) {
    await t.test(c.name, () => {
      const make = () => new Totp(hex(c.secret_hex), { algorithm: c.algorithm, digits: c.digits, period: c.period, t0: big(c.t0 ?? '0') })
      const floor = c.last_used_step == null ? null : big(c.last_used_step)
      const run = {
        new: make,
        generate: () => make().generate(big(c.time)),
        verify: () => make().verify(c.code, { unixTime: big(c.time), skew: c.skew }),
        check: () => make().check(c.code, { unixTime: big(c.time), skew: c.skew, lastUsedStep: floor }),
      }[c.operation]
      assert.ok(run, `unknown operation ${c.operation}`)
      assert.equal(invalidDetail(run), c.error)
    })
  }
})

/** A vector key (snake_case, u64 strings) as `parseUri` returns it. */
function keyFromVector(k) {
  return {
    kind: k.kind,
    issuer: k.issuer,
    account: k.account,
    secret: k.secret_base32,
    algorithm: k.algorithm,
    digits: k.digits,
    period: k.period,
    counter: k.counter,
    extra: k.extra,
  }
}

function keyFromPackage(k) {
  return { ...k, counter: k.counter === null ? null : String(k.counter) }
}

test('uris parse', async (t) => {
  for (const c of uris.parse) {
    await t.test(c.name, () => {
      if (c.error) {
        assert.equal(invalidDetail(() => parseUri(c.uri)), c.error)
      } else {
        assert.deepEqual(keyFromPackage(parseUri(c.uri)), keyFromVector(c.expect))
      }
    })
  }
})

test('uris build', async (t) => {
  for (const c of uris.build) {
    await t.test(c.name, () => {
      const f = c.fields
      const fields = {
        kind: f.kind,
        issuer: f.issuer,
        account: f.account,
        secret: f.secret_base32,
        algorithm: f.algorithm,
        digits: f.digits,
        period: f.period,
        counter: f.counter === null ? null : big(f.counter),
        extra: f.extra,
      }
      if (c.error) {
        assert.equal(invalidDetail(() => buildUri(fields)), c.error)
      } else {
        assert.equal(buildUri(fields), c.uri)
        // round trip: parsing the text gives the fields back, with the secret canonical
        const canonical = base32Encode(base32Decode(f.secret_base32))
        assert.deepEqual(keyFromPackage(parseUri(c.uri)), { ...keyFromVector(f), secret: canonical })
      }
    })
  }
})

test('error table: errorKinds() is exactly the shared table', () => {
  const table = errorKinds().map((k) => ({ code: k.number, kind: k.code, twilio: k.twilioCode, http: k.httpStatus, okta: k.oktaCode }))
  assert.deepEqual(table, errors.kinds)
})

test('error table: the ErrorCode type of index.d.ts lists exactly the kinds', () => {
  const dts = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8')
  const union = dts.match(/export type ErrorCode =([^]*?)\n\n/)
  assert.ok(union, 'index.d.ts declares ErrorCode')
  const declared = [...union[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1])
  assert.deepEqual(declared, errors.kinds.map((k) => k.kind))
  // and exactly core's ErrorKind::ALL, in its order
  assert.deepEqual(declared, ww.errorKinds().map((k) => k.code))
})

test('error table: invalid parameters surface with their refined Twilio codes', () => {
  const verify = new ww.Verify({ issuer: 'Acme' })
  const twilioOf = (fn) => {
    const e = thrown(fn)
    assert.equal(e.code, 'invalid_parameter')
    return e.twilioCode
  }
  const byParameter = {
    identity: () => verify.createEntity('x'),
    'config.code_length': () => verify.createFactor('user-0001-abcd', 'phone', { codeLength: 9 }),
    'config.alg': () => verify.createFactor('user-0001-abcd', 'phone', { alg: 'md5' }),
    friendly_name: () => verify.createFactor('user-0001-abcd', ''),
  }
  for (const row of errors.invalid_parameter_twilio) {
    if (row.parameter === null) {
      assert.equal(twilioOf(() => parseUri('http://x')), row.twilio)
      assert.equal(twilioOf(() => base32Decode('AB1')), row.twilio)
    } else {
      assert.ok(byParameter[row.parameter], `no way to provoke an invalid ${row.parameter} here yet`)
      assert.equal(twilioOf(byParameter[row.parameter]), row.twilio, row.parameter)
    }
  }
})

test('results: verificationResults() is exactly the shared table', () => {
  const table = ww.verificationResults().map((r) => ({ result: r.result, okta: r.oktaCode }))
  assert.deepEqual(table, errors.results)
})

test('results: the verification results of the table are the ones the package reports', () => {
  const totp = new Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
  const seen = new Set()
  const now = 1_700_000_000
  const code = totp.generate(now)
  seen.add(totp.check(code, { unixTime: now }).result)
  seen.add(totp.check(code, { unixTime: now, lastUsedStep: totp.step(now) }).result)
  seen.add(totp.check(totp.generate(now - 60), { unixTime: now }).result)
  seen.add(totp.check('x', { unixTime: now }).result)
  assert.deepEqual([...seen].sort(), errors.results.map((r) => r.result).sort())
})

test('WatchwordError is a real Error subclass', () => {
  const e = thrown(() => base32Decode('AB1'))
  assert.ok(e instanceof WatchwordError)
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'WatchwordError')
  assert.match(String(e), /^WatchwordError: invalid Base32: the character at position 3 /)
  assert.ok(!String(e).includes("'1'"), 'the message never shows the character: it is part of a secret')
  assert.match(e.stack, /vectors\.test\.mjs/)
})
