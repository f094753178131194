// The package's surface: both module systems, value conversions (Dates, bigints, buffers),
// the shape of the service's answers, records moving between services, worker threads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { ww, PACKAGE_DIR, thrown, camel, toServiceJson } from './helpers.mjs'
// the package by its own name, through the "exports" of package.json
import * as esm from 'watchword'
import esmDefault from 'watchword'

const { Totp, Hotp, Verify, generateSecret, base32Encode, base32Decode, parseUri, buildUri, WatchwordError } = ww
const ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479'
const T = 1_700_000_000

const API = ['Totp', 'Hotp', 'Verify', 'HostSteps', 'WatchwordError', 'generateSecret', 'generateSecretKey', 'base32Encode', 'base32Decode', 'parseUri', 'buildUri', 'qrSvg', 'qrTerminal', 'errorKinds', 'verificationResults']

test('require() and import give the same exports', () => {
  const required = createRequire(import.meta.url)('watchword')
  assert.equal(required, ww)
  const names = Object.keys(required).filter((n) => !n.startsWith('__'))
  assert.deepEqual(names.sort(), [...API].sort(), 'the documented API is exactly what the addon exports')
  assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names.sort(), 'index.mjs names every export')
  for (const name of API) {
    assert.equal(typeof ww[name], 'function', `require: ${name}`)
    assert.equal(esm[name], ww[name], `import { ${name} }`)
    assert.equal(esmDefault[name], ww[name], `import default .${name}`)
  }
})

test('Totp: secrets as Buffer, Uint8Array and Base32 text give the same codes', () => {
  const bytes = Buffer.from('12345678901234567890')
  const a = new Totp(bytes).generate(59)
  assert.equal(a, '287082')
  assert.equal(new Totp(new Uint8Array(bytes)).generate(59), a)
  assert.equal(new Totp('gezd gnbv-gy3tqojq GEZDGNBVGY3TQOJQ====').generate(59), a)
})

test('Totp: times as numbers, bigints and Dates; fractions of a second are dropped', () => {
  const totp = new Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { digits: 8 })
  assert.equal(totp.generate(59), '94287082')
  assert.equal(totp.generate(59.999), '94287082')
  assert.equal(totp.generate(59n), '94287082')
  assert.equal(totp.generate(new Date(59_999)), '94287082')
  assert.equal(totp.generate(20000000000), '65353130')
  const now = Math.floor(Date.now() / 1000)
  const current = totp.generate()
  assert.ok([totp.generate(now), totp.generate(now + 1)].includes(current), 'no time means now')
  assert.equal(totp.verify(current), 0)
  assert.equal(totp.step(59), 1)
  assert.equal(typeof totp.step(2n ** 60n), 'bigint')
  assert.deepEqual([totp.algorithm, totp.digits, totp.period, totp.t0], ['sha1', 8, 30, 0])
})

test('Totp.verify returns the offset of the matched step', () => {
  const totp = new Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
  assert.equal(totp.verify(totp.generate(T - 30), { unixTime: T }), -1)
  assert.equal(totp.verify(totp.generate(T + 30), { unixTime: T }), 1)
  assert.equal(totp.verify(totp.generate(T + 60), { unixTime: T }), null)
  assert.equal(totp.verify(totp.generate(T + 60), { unixTime: T, skew: 2 }), 2)
  assert.equal(totp.verify(totp.generate(T), { unixTime: new Date(T * 1000), skew: 0 }), 0)
})

test('Hotp: counters as numbers or bigints; the match has the counter type', () => {
  const hotp = new Hotp(Buffer.from('12345678901234567890'))
  assert.equal(hotp.generate(1), '287082')
  assert.equal(hotp.verify('359152', 0, { lookAhead: 5 }), 2)
  assert.equal(hotp.verify('359152', 0n, { lookAhead: 5 }), 2n)
  assert.equal(hotp.verify('359152', 3, { lookAhead: 5 }), null, 'never backwards')
  assert.equal(hotp.generate(2n ** 64n - 1n).length, 6)
})

test('generateSecret, base32Encode, base32Decode', () => {
  assert.equal(generateSecret().length, 20)
  assert.equal(generateSecret('sha256').length, 32)
  assert.equal(generateSecret('SHA-512').length, 64)
  assert.ok(Buffer.isBuffer(generateSecret()))
  assert.notDeepEqual(generateSecret(), generateSecret())
  for (let n = 0; n < 70; n++) {
    const bytes = generateSecret('sha512').subarray(0, n)
    const text = base32Encode(bytes)
    assert.match(text, /^[A-Z2-7]*$/)
    assert.deepEqual(base32Decode(text), bytes)
    assert.deepEqual(base32Decode(text.toLowerCase()), bytes)
  }
  const e = thrown(() => base32Decode('JBSW!'))
  assert.ok(e instanceof WatchwordError)
  assert.equal(e.detail, 'base32_character')
  assert.match(e.message, /position 5/)
})

test('parseUri and buildUri', () => {
  const uri = 'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30&image=https%3A%2F%2Fx'
  const key = parseUri(uri)
  assert.deepEqual(key, {
    kind: 'totp',
    issuer: 'ACME Co',
    account: 'john.doe@email.com',
    secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    counter: null,
    extra: [['image', 'https://x']],
  })
  assert.deepEqual(parseUri(buildUri(key)), key)
  const big = parseUri('otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615')
  assert.equal(big.counter, 2n ** 64n - 1n)
  assert.deepEqual(parseUri(buildUri(big)), big)
  assert.equal(thrown(() => parseUri('otpauth://totp/a?issuer=x')).detail, 'uri_missing_secret')
})

test('Verify: answers are plain objects with camelCase keys and Dates; the secret only once', () => {
  const verify = new Verify({ issuer: 'Acme Co' })
  assert.equal(verify.issuer, 'Acme Co')
  const factor = verify.createFactor(ID, 'Jane’s phone', { now: T, metadata: { os_type: 'ios' } })
  assert.deepEqual(Object.keys(factor).sort(), [
    'binding', 'config', 'dateCreated', 'dateUpdated', 'entitySid', 'factorType', 'friendlyName', 'identity', 'metadata', 'sid', 'status',
  ])
  assert.match(factor.sid, /^YF[0-9a-f]{32}$/)
  assert.equal(Object.getPrototypeOf(factor), Object.prototype)
  assert.deepEqual(factor.config, { alg: 'sha1', codeLength: 6, skew: 1, timeStep: 30 })
  assert.deepEqual(factor.metadata, { os_type: 'ios' }, 'the caller’s keys stay as they are')
  assert.ok(factor.dateCreated instanceof Date)
  assert.equal(factor.dateCreated.getTime(), T * 1000)
  assert.equal(factor.status, 'unverified')
  const key = parseUri(factor.binding.uri)
  assert.equal(key.secret, factor.binding.secret)
  assert.equal(key.issuer, 'Acme Co')
  for (const view of [verify.fetchFactor(ID, factor.sid), ...verify.listFactors(ID)]) {
    assert.ok(!('binding' in view))
    assert.ok(!JSON.stringify(view).includes(factor.binding.secret))
  }
  const totp = new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period })
  const verified = verify.verifyFactor(ID, factor.sid, totp.generate(T + 5), { now: new Date((T + 5) * 1000) })
  assert.equal(verified.status, 'verified')
  assert.equal(verified.result, 'approved')
  assert.equal(verified.resultOffset, 0)
  assert.equal(verified.dateUpdated.getTime(), (T + 5) * 1000)

  const challenge = verify.createChallenge(ID, factor.sid, {
    now: T + 60,
    expirationDate: new Date((T + 120) * 1000),
    details: { message: 'Login from Lisbon', fields: [{ label: 'IP', value: '192.0.2.7' }] },
    hiddenDetails: { ip_address: '192.0.2.7' },
  })
  assert.equal(challenge.status, 'pending')
  assert.equal(challenge.respondedReason, 'none')
  assert.equal(challenge.dateResponded, null)
  assert.equal(challenge.expirationDate.getTime(), (T + 120) * 1000)
  assert.deepEqual(challenge.details, { message: 'Login from Lisbon', fields: [{ label: 'IP', value: '192.0.2.7' }] })
  assert.deepEqual(challenge.hiddenDetails, { ip_address: '192.0.2.7' })
  assert.ok(!('result' in challenge))
  const rfc = verify.createChallenge(ID, factor.sid, { now: T + 61, expirationDate: '2023-11-14T22:15:20Z' })
  assert.equal(rfc.expirationDate.toISOString(), '2023-11-14T22:15:20.000Z')
  assert.equal(verify.fetchChallenge(ID, rfc.sid, { now: T + 10_000 }).status, 'expired')
  const answered = verify.updateChallenge(ID, challenge.sid, totp.generate(T + 90), { now: T + 90 })
  assert.equal(answered.status, 'approved')
  assert.equal(answered.dateResponded.getTime(), (T + 90) * 1000)
  assert.deepEqual(verify.listChallenges(ID, { status: 'approved' }).map((c) => c.sid), [challenge.sid])
  assert.deepEqual(verify.listChallenges(ID, { order: 'desc', now: T + 100 }).map((c) => c.sid), [rfc.sid, challenge.sid])
  assert.equal(verify.deleteFactor(ID, factor.sid), undefined)
  assert.equal(verify.listFactors(ID).length, 0)
  assert.equal(thrown(() => verify.fetchChallenge(ID, challenge.sid)).code, 'challenge_not_found')
})

test('Verify: records move to another service and keep working there', () => {
  const a = new Verify({ issuer: 'Acme' })
  const factor = a.createFactor(ID, 'phone', { now: T })
  const totp = new Totp(factor.binding.secret)
  a.verifyFactor(ID, factor.sid, totp.generate(T), { now: T })
  const challenge = a.createChallenge(ID, factor.sid, { now: T + 60 })
  const records = { entity: a.exportEntity(ID), factor: a.exportFactor(factor.sid), challenge: a.exportChallenge(challenge.sid) }
  for (const r of Object.values(records)) {
    assert.equal(typeof r, 'string')
    assert.equal(JSON.parse(r).v, 3)
  }
  const b = new Verify({ issuer: 'Acme' })
  assert.equal(b.importEntity(records.entity).identity, ID)
  assert.equal(b.importFactor(records.factor).status, 'verified')
  assert.equal(b.importChallenge(records.challenge, { now: T + 60 }).status, 'pending')
  const answer = b.updateChallenge(ID, challenge.sid, totp.generate(T + 61), { now: T + 61 })
  assert.equal(answer.result, 'approved')
  // the replay floor travelled with the record: the enrolment code is replayed
  const again = b.createChallenge(ID, factor.sid, { now: T + 62, authPayload: totp.generate(T) })
  assert.equal(again.result, 'replayed')
  assert.equal(thrown(() => b.importFactor('{"v": 3}')).code, 'invalid_parameter')
})

test('Verify: every typed answer is core\'s JSON view of the same record, key for key', () => {
  const verify = new Verify({ issuer: 'Acme' })
  const json = (op, args, now) => JSON.parse(verify.call(op, JSON.stringify(args), { now }))
  const created = verify.createFactor(ID, 'phone', { now: T, metadata: { os_type: 'ios', b: '' } })
  const code = new Totp(created.binding.secret).generate(T)
  const sid = created.sid
  const verified = verify.verifyFactor(ID, sid, code, { now: T })
  const fetched = json('fetch_factor', { identity: ID, factor_sid: sid }, T)
  assert.deepEqual(toServiceJson(verified), { ...fetched, result: 'approved', result_offset: 0 })
  const challenge = verify.createChallenge(ID, sid, {
    now: T + 30, details: { message: 'Login', fields: [{ label: 'IP', value: '192.0.2.7' }] }, hiddenDetails: { ip: '192.0.2.7' },
  })
  const plain = verify.createChallenge(ID, sid, { now: T + 31 })
  const wrong = verify.updateChallenge(ID, plain.sid, '000000', { now: T + 32 })
  assert.equal(wrong.result, 'invalid_code')
  assert.ok('resultOffset' in wrong)
  assert.equal(wrong.resultOffset, null)
  for (const c of [challenge, plain]) {
    for (const now of [T + 40, T + 10_000]) {
      const typed = verify.fetchChallenge(ID, c.sid, { now })
      assert.deepEqual(toServiceJson(typed), json('fetch_challenge', { identity: ID, challenge_sid: c.sid }, now), `${c.sid} at ${now}`)
    }
  }
  assert.deepEqual(toServiceJson(verify.fetchEntity(ID)), json('fetch_entity', { identity: ID }, T))
  const page = verify.listChallenges(ID, { limit: 1, now: T + 40 })
  const jsonPage = json('list_challenges', { identity: ID, limit: 1 }, T + 40)
  assert.deepEqual({ items: toServiceJson(page), next_page_token: page.nextPageToken }, jsonPage)
  const factors = verify.listFactors(ID)
  assert.deepEqual({ items: toServiceJson(factors), next_page_token: factors.nextPageToken }, json('list_factors', { identity: ID }, T))
  const { binding, ...factor } = created
  assert.deepEqual(Object.keys(binding), ['secret', 'uri'])
  assert.deepEqual(toServiceJson(factor), { ...fetched, status: 'unverified' })
})

/** The fields of an interface of index.d.ts: name → whether it is optional. */
function declaredFields(name) {
  const dts = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8')
  const body = dts.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))
  assert.ok(body, `index.d.ts declares ${name}`)
  const fields = new Map()
  for (const [, field, optional] of body[1].matchAll(/^ {2}(\w+)(\??):/gm)) fields.set(field, optional === '?')
  return fields
}

/** `object` has exactly the keys `index.d.ts` declares for `name` (the optional ones may be absent). */
function assertDeclared(object, name) {
  const fields = declaredFields(name)
  for (const key of Object.keys(object)) assert.ok(fields.has(key), `${name}.${key} is not declared in index.d.ts`)
  for (const [field, optional] of fields) if (!optional) assert.ok(field in object, `${name}.${field} is missing`)
}

test('Verify: the answers have exactly the fields index.d.ts declares for them', () => {
  const verify = new Verify({ issuer: 'Acme' })
  const created = verify.createFactor(ID, 'phone', { now: T, metadata: { a: 'b' } })
  assertDeclared(created, 'FactorInstance')
  assertDeclared(created.config, 'FactorConfig')
  assertDeclared(created.binding, 'FactorBinding')
  assert.ok('binding' in created)
  const verified = verify.verifyFactor(ID, created.sid, new Totp(created.binding.secret).generate(T), { now: T })
  assertDeclared(verified, 'FactorInstance')
  assert.ok('result' in verified && 'resultOffset' in verified)
  assertDeclared(verify.fetchEntity(ID), 'EntityInstance')
  const challenge = verify.createChallenge(ID, created.sid, { now: T + 30, details: { message: 'hi', fields: [{ label: 'a', value: 'b' }] } })
  assertDeclared(challenge, 'ChallengeInstance')
  assertDeclared(challenge.details, 'ChallengeDetails')
  assertDeclared(challenge.details.fields[0], 'ChallengeDetailField')
  assertDeclared(verify.updateChallenge(ID, challenge.sid, '000000', { now: T + 31 }), 'ChallengeInstance')
  for (const item of verify.listChallenges(ID)) assertDeclared(item, 'ChallengeInstance')
})

test('Verify.close releases the store: later calls fail, running Promise forms finish', async () => {
  const verify = new Verify({ issuer: 'Acme' })
  const factor = verify.createFactor(ID, 'phone', { now: T })
  // A Promise form already on the thread pool keeps the store until it finishes.
  const running = verify.fetchFactorAsync(ID, factor.sid, { now: T })
  verify.close()
  assert.equal((await running).sid, factor.sid)
  const closed = { name: 'WatchwordError', code: 'storage', message: /this service is closed/ }
  assert.throws(() => verify.fetchFactor(ID, factor.sid, { now: T }), closed)
  assert.throws(() => verify.call('fetch_entity', JSON.stringify({ identity: ID })), closed)
  await assert.rejects(verify.fetchFactorAsync(ID, factor.sid, { now: T }), closed)
  await assert.rejects(verify.callAsync('fetch_entity', JSON.stringify({ identity: ID })), closed)
  // Its names stay readable, and closing again does nothing.
  assert.equal(verify.issuer, 'Acme')
  assert.equal(verify.service, 'default')
  verify.close()
  assert.throws(() => verify.createEntity(ID, { now: T }), closed)
  // A service over a store object of the application closes too; the object stays the application's.
  const records = new Map()
  const store = {
    get: (key) => records.get(key) ?? null,
    list: () => [],
    scan: () => [],
    commit: () => true,
  }
  const hosted = new Verify({ issuer: 'Acme', store })
  hosted.close()
  assert.throws(() => hosted.fetchEntity(ID, { now: T }), closed)
  await assert.rejects(hosted.fetchEntityAsync(ID, { now: T }), closed)
})

test('Verify.call runs an operation by name with JSON text', () => {
  const verify = new Verify({ issuer: 'Acme' })
  const out = JSON.parse(verify.call('create_entity', JSON.stringify({ identity: ID }), { now: T }))
  assert.equal(out.identity, ID)
  assert.equal(out.date_created, '2023-11-14T22:13:20Z')
  assert.equal(verify.fetchEntity(ID).sid, out.sid)
  assert.equal(thrown(() => verify.call('approve_challenge', '{}')).code, 'invalid_parameter')
  assert.equal(thrown(() => verify.call('create_entity', '[1]')).code, 'invalid_parameter')
})

test('Verify.settings() lists core\'s settings, and VerifySettings in index.d.ts has them all', () => {
  const settings = Verify.settings()
  assert.ok(settings.length >= 18)
  const dts = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8')
  const block = dts.match(/export interface VerifySettings \{([^]*?)\n\}/)
  assert.ok(block)
  const declared = [...block[1].matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]).sort()
  const keyRing = ['secretKeys', 'activeSecretKey', 'acceptPlaintextRecords']
  assert.deepEqual(declared, ['alg', 'issuer', 'service', 'store', ...keyRing, ...settings.map((s) => s.name)].sort())
  for (const s of settings) {
    assert.ok(s.min <= s.default && s.default <= s.max, s.name)
    // every default is accepted as given, and one past the maximum is a RangeError
    new Verify({ issuer: 'Acme', [s.name]: s.default })
    assert.ok(thrown(() => new Verify({ issuer: 'Acme', [s.name]: s.max + 1 })) instanceof RangeError, s.name)
  }
  assert.equal(camel('challenge_quota_short_day'), 'challengeQuotaShortDay')
})

test('works in worker threads, with WatchwordError of the worker', async () => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads')
     const ww = require(${JSON.stringify(PACKAGE_DIR)})
     const code = new ww.Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').generate(59)
     let kind = null
     try { ww.base32Decode('1') } catch (e) { kind = (e instanceof ww.WatchwordError) + ':' + e.code }
     parentPort.postMessage({ code, kind })`,
    { eval: true },
  )
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  assert.deepEqual(message, { code: '287082', kind: 'true:invalid_parameter' })
})

test('the fast per-call methods: receivers, frozen instances, slots given back', async () => {
  const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
  const totp = new Totp(SECRET)
  const hotp = new Hotp(SECRET)
  for (const wrong of [() => Totp.prototype.generate.call({}, 59), () => Totp.prototype.verify.call(hotp, '287082'),
    () => Hotp.prototype.generate.call(totp, 1), () => Totp.prototype.check.call(undefined, '1')]) {
    const e = thrown(wrong)
    assert.ok(e instanceof TypeError, e.message)
    assert.match(e.message, /must be called on an instance of its class/)
  }
  assert.equal(totp.generate(59), '287082')
  const key = Object.getOwnPropertySymbols(totp)[0]
  assert.equal(typeof key, 'symbol', 'the instance keeps its slot under a private symbol')
  const slot = Object.getOwnPropertyDescriptor(totp, key)
  assert.deepEqual([slot.writable, slot.enumerable, slot.configurable], [false, false, false])
  assert.ok(thrown(() => Totp.prototype.generate.call({ [key]: 1e6 }, 59)) instanceof TypeError, 'a made-up slot')
  assert.equal(Object.create(totp).generate(59), '287082', 'an object inheriting from an instance')
  const frozen = Object.freeze(new Totp(SECRET))
  assert.equal(frozen.generate(59), '287082')
  assert.equal(frozen.verify('287082', { unixTime: 59 }), 0)

  // slots of collected instances are given back
  const v8 = await import('node:v8')
  const vm = await import('node:vm')
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const slotOf = (o) => o[Object.getOwnPropertySymbols(o)[0]]
  let many = Array.from({ length: 200 }, () => new Totp(SECRET))
  many.forEach((t) => t.generate(59))
  const highest = Math.max(...many.map(slotOf))
  many = null
  for (let i = 0; i < 5; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const fresh = new Totp(SECRET)
  fresh.generate(59)
  assert.ok(slotOf(fresh) < highest, `slot ${slotOf(fresh)} reused below ${highest}`)
})

test('QR codes: binding.qrSvg() and binding.qrTerminal() draw the URI; the binding still serializes as {secret, uri}', () => {
  const verify = new ww.Verify({ issuer: 'Acme' })
  const factor = verify.createFactor('user-0001-abcd', 'phone')
  const svg = factor.binding.qrSvg()
  assert.match(svg, /^<\?xml/)
  assert.ok(svg.includes('<svg') && svg.includes('</svg>'))
  assert.equal(svg, ww.qrSvg(factor.binding.uri))
  const text = factor.binding.qrTerminal()
  assert.equal(text, ww.qrTerminal(factor.binding.uri))
  const lines = text.trimEnd().split('\n')
  assert.ok(lines.length > 10 && lines.every((l) => /^[ █▀▄]+$/.test(l) && l.length === lines[0].length))
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(factor.binding))), ['secret', 'uri'])
  assert.throws(() => ww.qrSvg('x'.repeat(5000)), (e) => e instanceof ww.WatchwordError && e.code === 'invalid_parameter')
  assert.throws(() => ww.qrTerminal(42), TypeError)
})

test('QR codes for a light terminal background flip every module of the dark drawing', () => {
  const verify = new ww.Verify({ issuer: 'Acme' })
  const factor = verify.createFactor('user-0001-abcd', 'phone')
  const uri = factor.binding.uri
  const dark = factor.binding.qrTerminal()
  assert.equal(dark, ww.qrTerminal(uri, { background: 'dark' }))
  assert.equal(dark, factor.binding.qrTerminal({ background: 'dark' }))
  const light = factor.binding.qrTerminal({ background: 'light' })
  assert.equal(light, ww.qrTerminal(uri, { background: 'light' }))
  // Every module flips, except the half below the last row, which is never drawn.
  const flipped = { '█': ' ', '▀': '▄', '▄': '▀', ' ': '█' }
  const flippedLastRow = { '▀': ' ', ' ': '▀' }
  const darkRows = dark.trimEnd().split('\n')
  const lightRows = light.split('\n').slice(0, darkRows.length)
  darkRows.forEach((row, i) => {
    const table = i === darkRows.length - 1 ? flippedLastRow : flipped
    assert.equal(lightRows[i], [...row].map((c) => table[c]).join(''), `row ${i}`)
  })
  const invalid = (e) => e instanceof ww.WatchwordError && e.code === 'invalid_parameter' && /background/.test(e.message)
  assert.throws(() => ww.qrTerminal(uri, { background: 'white' }), invalid)
  assert.throws(() => factor.binding.qrTerminal({ background: 'white' }), invalid)
  assert.throws(() => ww.qrTerminal(uri, { colour: 'light' }), TypeError)
  assert.throws(() => ww.qrTerminal(uri, { background: 1 }), TypeError)
})

test('Verify: recovery codes are shown once, redeemed once (Promise forms), counted and regenerated', async () => {
  const verify = new ww.Verify({ issuer: 'Acme', recoveryCodeIterations: 1000 })
  const id = 'user-0001-codes'
  const f = verify.createFactor(id, 'backup', { factorType: 'recovery_codes', count: 4, now: T })
  assert.equal(f.status, 'verified')
  assert.equal(f.factorType, 'recovery_codes')
  assert.equal(f.binding.codes.length, 4)
  assert.ok(f.binding.codes.every((c) => /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/.test(c)), f.binding.codes.join())
  assert.deepEqual([f.config.count, f.config.remaining], [4, 4])
  const c = await verify.createChallengeAsync(id, f.sid, { authPayload: f.binding.codes[0].toUpperCase(), now: T + 1 })
  assert.deepEqual([c.status, c.result, c.factorType], ['approved', 'approved', 'recovery_codes'])
  const again = await verify.createChallengeAsync(id, f.sid, { authPayload: f.binding.codes[0], now: T + 2 })
  assert.deepEqual([again.status, again.result], ['pending', 'replayed'])
  const fetched = verify.fetchFactor(id, f.sid)
  assert.ok(!('binding' in fetched))
  assert.deepEqual([fetched.config.count, fetched.config.remaining], [4, 3])
  const record = verify.exportFactor(f.sid)
  assert.ok(f.binding.codes.every((code) => !record.includes(code)), 'the record holds hashes only')
  const renewed = await verify.updateFactorAsync(id, f.sid, { regenerate: true, now: T + 3 })
  assert.equal(renewed.binding.codes.length, 4)
  const old = await verify.createChallengeAsync(id, f.sid, { authPayload: f.binding.codes[1], now: T + 4 })
  assert.equal(old.result, 'invalid_code', 'regenerate kills the old set')
  const fresh = await verify.createChallengeAsync(id, f.sid, { authPayload: renewed.binding.codes[1], now: T + 5 })
  assert.equal(fresh.result, 'approved')
  const totp = verify.createFactor(id, 'phone', { now: T })
  assert.equal(totp.config.count, undefined)
  assert.ok(!('codes' in totp.binding))
  assert.throws(() => verify.updateFactor(id, totp.sid, { regenerate: true, now: T }), (e) => e.code === 'invalid_parameter')
  assert.throws(() => verify.updateFactor(id, f.sid, { regenerate: 'yes', now: T }), TypeError)
})
