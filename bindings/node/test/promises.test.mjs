// The Promise forms of the service (`createFactorAsync` …, `Verify.open`): they run on the libuv
// thread pool, answer what the synchronous forms answer, and reject with the errors those throw.
// (Every shared scenario also runs through them: scenarios.test.mjs.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ww, camel } from './helpers.mjs'

const { Verify, Totp, parseUri, WatchwordError } = ww
const ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479'
const OTHER = 'a0b1c2d3-58cc-4372-a567-0e02b2c3d479'
const T = 1_700_000_010
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'

// Core's operations (the Rust OPERATIONS list).
const OPERATIONS = [
  'create_entity', 'fetch_entity', 'list_entities', 'delete_entity', 'create_factor', 'fetch_factor', 'list_factors',
  'update_factor', 'verify_factor', 'delete_factor', 'unlock_factor', 'create_challenge', 'update_challenge',
  'fetch_challenge', 'list_challenges', 'sweep', 'reseal', 'export_entity', 'export_factor', 'export_challenge', 'import_entity',
  'import_factor', 'import_challenge',
]

const code = (at) => new Totp(SECRET).generate(at)
const withoutIds = ({ sid, entitySid, identity, ...rest }) => rest

/** What `promise` rejects with (fails when it resolves). */
async function rejection(promise) {
  assert.ok(promise instanceof Promise, 'a Promise form returns a promise, also for bad arguments')
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection, the promise resolved')
}

test('every operation has a Promise form', () => {
  for (const op of OPERATIONS) {
    assert.equal(typeof Verify.prototype[camel(op) + 'Async'], 'function', op)
    assert.equal(typeof Verify.prototype[camel(op)], 'function', op)
  }
  assert.equal(typeof Verify.prototype.callAsync, 'function')
  assert.equal(typeof Verify.open, 'function')
})

test('the Promise forms answer what the synchronous forms answer', async () => {
  const verify = new Verify({ issuer: 'Acme' })
  // Two factors with the same secret, one driven by each form.
  const a = verify.createFactor(ID, 'phone', { secret: SECRET, now: T })
  const b = await verify.createFactorAsync(OTHER, 'phone', { secret: SECRET, now: T })
  assert.deepEqual(withoutIds(b), withoutIds(a))
  assert.equal(typeof b.binding.qrSvg, 'function', 'the binding of the Promise form has its QR methods')
  assert.deepEqual(await verify.fetchFactorAsync(ID, a.sid, { now: T }), verify.fetchFactor(ID, a.sid, { now: T }))

  const wrongA = verify.verifyFactor(ID, a.sid, '000000', { now: T })
  const wrongB = await verify.verifyFactorAsync(OTHER, b.sid, '000000', { now: T })
  assert.deepEqual(withoutIds(wrongB), withoutIds(wrongA))
  const okA = verify.verifyFactor(ID, a.sid, code(T), { now: T })
  const okB = await verify.verifyFactorAsync(OTHER, b.sid, code(T), { now: T })
  assert.equal(okB.result, 'approved')
  assert.deepEqual(withoutIds(okB), withoutIds(okA))

  const c1 = verify.createChallenge(ID, a.sid, { authPayload: code(T + 30), now: T + 30 })
  const c2 = await verify.createChallengeAsync(OTHER, b.sid, { authPayload: code(T + 30), now: T + 30 })
  assert.deepEqual(withoutIds({ ...c2, factorSid: null }), withoutIds({ ...c1, factorSid: null }))
  const replayA = verify.createChallenge(ID, a.sid, { authPayload: code(T + 30), now: T + 31 })
  const replayB = await verify.createChallengeAsync(OTHER, b.sid, { authPayload: code(T + 30), now: T + 31 })
  assert.equal(replayB.result, 'replayed')
  assert.equal(replayB.result, replayA.result)

  const page = verify.listEntities({ limit: 1, now: T })
  const pageAsync = await verify.listEntitiesAsync({ limit: 1, now: T })
  assert.deepEqual(pageAsync, page)
  assert.ok(Array.isArray(pageAsync) && typeof pageAsync.nextPageToken === 'string')
  assert.equal(pageAsync.nextPageToken, page.nextPageToken)
  const last = await verify.listEntitiesAsync({ limit: 1, pageToken: pageAsync.nextPageToken, now: T })
  assert.deepEqual([...page, ...last].map((e) => e.identity).sort(), [ID, OTHER].sort())
  assert.equal(last.nextPageToken, null)
  assert.deepEqual(Object.keys(last), ['0'], 'nextPageToken is not enumerable')
  assert.deepEqual(await verify.listChallengesAsync(ID, { now: T + 40 }), verify.listChallenges(ID, { now: T + 40 }))
  assert.deepEqual(await verify.listFactorsAsync(ID, { now: T }), verify.listFactors(ID, { now: T }))

  assert.equal(await verify.exportFactorAsync(a.sid), verify.exportFactor(a.sid))
  assert.equal(await verify.callAsync('fetch_entity', JSON.stringify({ identity: ID })), verify.call('fetch_entity', JSON.stringify({ identity: ID })))
  assert.equal(await verify.sweepAsync({ now: T }), 0)
  assert.equal(await verify.deleteFactorAsync(OTHER, b.sid, { now: T }), undefined)
})

test('the Promise forms reject with the errors the synchronous forms throw', async () => {
  const verify = new Verify({ issuer: 'Acme' })
  const missing = 'YF00000000000000000000000000000000'
  let sync = null
  try {
    verify.fetchFactor(ID, missing)
  } catch (e) {
    sync = e
  }
  const err = await rejection(verify.fetchFactorAsync(ID, missing))
  assert.ok(err instanceof WatchwordError)
  assert.equal(err.constructor, sync.constructor)
  for (const key of ['code', 'twilioCode', 'httpStatus', 'oktaCode', 'detail', 'message']) {
    assert.deepEqual(err[key], sync[key], key)
  }
  assert.equal(err.code, 'factor_not_found')
  assert.equal(err.twilioCode, 60390)

  // Bad arguments reject too (never a synchronous throw from a Promise form).
  const type = await rejection(verify.createEntityAsync(42))
  assert.ok(type instanceof TypeError)
  assert.equal(type.code, 'invalid_parameter')
  const range = await rejection(verify.listEntitiesAsync({ limit: 0 }))
  assert.ok(range instanceof RangeError)
  assert.equal(range.code, 'invalid_parameter')
  const token = await rejection(verify.listEntitiesAsync({ pageToken: 'nope' }))
  assert.equal(token.code, 'invalid_parameter')
  const json = await rejection(verify.callAsync('no_such_operation', '{}'))
  assert.equal(json.code, 'invalid_parameter')
  const expired = await rejection(verify.updateChallengeAsync(ID, 'YC00000000000000000000000000000000', '123456'))
  assert.equal(expired.code, 'challenge_not_found')
})

test('store settings: a bad URL is invalid_parameter, an unopenable store is storage, neither echoes the URL', async () => {
  const bad = { issuer: 'Acme', store: 'mongodb://user:hunter2@db/x' }
  let thrown = null
  try {
    new Verify(bad)
  } catch (e) {
    thrown = e
  }
  assert.equal(thrown.code, 'invalid_parameter')
  assert.ok(!thrown.message.includes('hunter2') && !thrown.message.includes('mongodb://'), thrown.message)
  const rejected = await rejection(Verify.open(bad))
  assert.equal(rejected.code, 'invalid_parameter')
  assert.equal(rejected.message, thrown.message)

  const nowhere = { issuer: 'Acme', store: 'sqlite:////nonexistent-watchword-dir/sub/hunter2.db' }
  const storage = await rejection(Verify.open(nowhere))
  assert.ok(storage instanceof WatchwordError)
  assert.equal(storage.code, 'storage')
  assert.equal(storage.httpStatus, 500)
  assert.ok(!storage.message.includes('hunter2'), storage.message)
  assert.equal((await rejection(Verify.open({ issuer: 'Acme', service: 'no spaces' }))).code, 'invalid_parameter')
  assert.equal((await rejection(Verify.open(null))).code, 'invalid_parameter')

  const opened = await Verify.open({ issuer: 'Acme', service: 'shop' })
  assert.ok(opened instanceof Verify)
  assert.equal(opened.service, 'shop')
  assert.equal(new Verify({ issuer: 'Acme' }).service, 'default')
})

test('a Promise form waiting for a locked SQLite database leaves the event loop running', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchword-node-'))
  try {
    const path = join(dir, 'busy.db')
    const verify = new Verify({ issuer: 'Acme', store: `sqlite:///${path}` })
    await verify.createEntityAsync(ID)
    // Another process holds the write lock for a while; the operation waits for it (busy timeout).
    const holder = spawn('python3', ['-c', `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(0.8)
db.execute('COMMIT')
`, path], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => holder.once('exit', resolve))
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    let ticks = 0
    const timer = setInterval(() => ticks++, 20)
    const started = Date.now()
    const created = await verify.createFactorAsync(ID, 'phone', { secret: SECRET })
    const waited = Date.now() - started
    clearInterval(timer)
    assert.equal(await exited, 0)
    assert.equal(created.status, 'unverified')
    assert.ok(waited >= 300, `the operation waited for the lock (${waited} ms)`)
    assert.ok(ticks >= 5, `the event loop ran meanwhile: ${ticks} timer ticks in ${waited} ms`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
