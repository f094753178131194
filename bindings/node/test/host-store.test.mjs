// Store objects of the application (`new Verify({ issuer, store: { get, list, scan, commit } })`)
// over a Map (map-store.mjs): every shared scenario through the synchronous methods over a store
// that answers plainly and through the Promise forms over one that answers with Promises; the
// replay race of 16 concurrent promises; and stores that throw, reject or answer wrongly, which
// end the operation with a clear error and change nothing. pg-store.test.mjs runs the same over
// PostgreSQL through node-postgres.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Worker } from 'node:worker_threads'
import { once } from 'node:events'
import { ww, scenarioFiles } from './helpers.mjs'
import { runScenario } from './scenario-runner.mjs'
import { MapStore } from './map-store.mjs'
import { compareAndSet, replayRace } from './store-checks.mjs'

const { Verify, Totp, WatchwordError } = ww
const ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479'
const OTHER = 'a0b1c2d3-58cc-4372-a567-0e02b2c3d479'
const T = 1_700_000_010
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const code = (at) => new Totp(SECRET).generate(at)

for (const { file, scenario } of scenarioFiles()) {
  test(`scenario ${file} over a store object: ${scenario.name}`, () =>
    runScenario(file, scenario, { store: new MapStore() }))
  test(`scenario ${file} over a store object answering Promises: ${scenario.name} (Promise forms)`, () =>
    runScenario(file, scenario, { promises: true, store: new MapStore({ async: true }) }))
}

test('the Map store compares and sets each version, all or nothing, and lists in order', async () => {
  await compareAndSet(new MapStore())
  await compareAndSet(new MapStore({ async: true }))
})

test('16 concurrent promises present one code: exactly one is approved, 200 rounds', async () => {
  const store = new MapStore({ async: true })
  await replayRace(new Verify({ issuer: 'Acme', store, lockoutThreshold: 20 }), { callers: 16, rounds: 200 })
})

test('a store object is checked when the service is made', () => {
  for (const store of [{}, { get() {}, list() {}, scan() {} }, { get: 1, list() {}, scan() {}, commit() {} }]) {
    assert.throws(() => new Verify({ issuer: 'Acme', store }), { name: 'TypeError', code: 'invalid_parameter' })
  }
  assert.throws(() => new Verify({ issuer: 'Acme', store: { get() {}, list() {}, scan() {} } }), {
    message: /settings\.store .*get, list, scan and commit.*its commit is undefined/,
  })
  assert.throws(() => new Verify({ issuer: 'Acme', store: 5 }), {
    name: 'TypeError',
    message: 'settings.store must be a store URL (a string) or a store object, not a number',
  })
  // A class instance with the methods on its prototype is a store too, for Verify.open as well.
  return Verify.open({ issuer: 'Acme', store: new MapStore() }).then((verify) => {
    assert.ok(verify instanceof Verify)
    assert.equal(verify.createEntity(ID, { now: T }).identity, ID)
  })
})

test('a synchronous method over a store answering Promises is a TypeError naming the Promise form', () => {
  const verify = new Verify({ issuer: 'Acme', store: new MapStore({ async: true }) })
  assert.throws(() => verify.createFactor(ID, 'phone', { now: T }), TypeError)
  let thrown
  try {
    verify.fetchEntity(ID)
  } catch (err) {
    thrown = err
  }
  assert.equal(thrown.code, 'invalid_parameter')
  assert.match(thrown.message, /this store answers with Promises: use fetchEntityAsync/)
  try {
    verify.call('fetch_entity', JSON.stringify({ identity: ID }))
  } catch (err) {
    thrown = err
  }
  assert.match(thrown.message, /use callAsync/)
})

test('the steps ask with plain values and the store may answer more than it was asked', async () => {
  const store = new MapStore()
  const asked = []
  const spy = {
    get: (...a) => (asked.push(['get', ...a]), store.get(...a)),
    // Every record after `after`, in no order, ignoring the limit: watchword orders and cuts.
    list: (service, identity, kind, after, limit) => {
      asked.push(['list', service, identity, kind, after, limit])
      return store.listing(service, identity, kind, after, Infinity).reverse()
    },
    scan: (service, kind, after, limit) => {
      asked.push(['scan', service, kind, after, limit])
      return store.listing(service, null, kind, after, Infinity).reverse()
    },
    commit: (writes) => (asked.push(['commit', writes]), store.commit(writes)),
  }
  const verify = new Verify({ issuer: 'Acme', store: spy })
  const sids = []
  for (let i = 0; i < 5; i++) sids.push(verify.createFactor(ID, `phone ${i}`, { now: T + i }).sid)
  const commit = asked.find(([what]) => what === 'commit')
  const [write] = commit[1]
  assert.deepEqual(Object.keys(write).sort(), ['created', 'expectedVersion', 'identity', 'key', 'kind', 'record', 'service', 'version'].sort())
  assert.equal(write.service, 'default')
  assert.equal(typeof write.record, 'string')
  const first = verify.listFactors(ID, { limit: 2, now: T + 9 })
  assert.deepEqual([...first].map((f) => f.sid), sids.slice(0, 2))
  const second = await verify.listFactorsAsync(ID, { limit: 2, pageToken: first.nextPageToken, now: T + 9 })
  assert.deepEqual([...second].map((f) => f.sid), sids.slice(2, 4))
  const list = asked.filter(([what]) => what === 'list').at(-1)
  assert.equal(list[1], 'default')
  assert.equal(list[2], ID)
  assert.equal(list[3], 'factor')
  assert.deepEqual(Object.keys(list[4]).sort(), ['created', 'key'])
  assert.equal(typeof list[5], 'number')
  assert.equal(verify.listEntities({ now: T + 9 }).length, 1)
  assert.ok(asked.some(([what]) => what === 'scan'))
  // Deleting names the key and the version removed.
  verify.deleteFactor(ID, sids[0], { now: T + 9 })
  const deletes = asked.filter(([what]) => what === 'commit').at(-1)[1].filter((w) => w.record === null)
  assert.ok(deletes.some((w) => w.key === sids[0] && w.identity === '' && w.created === 0 && w.expectedVersion > 0))
})

/** A store over `inner` whose `method` answers `answer(...args)` instead. */
function meddling(inner, method, answer) {
  return {
    get: (...a) => inner.get(...a),
    list: (...a) => inner.list(...a),
    scan: (...a) => inner.scan(...a),
    commit: (...a) => inner.commit(...a),
    [method]: (...a) => answer(...a, inner),
  }
}

test('stores that fail or answer wrongly: a clear error, no change, and the service works again', async () => {
  for (const promises of [false, true]) {
    const inner = new MapStore({ async: promises })
    const good = new Verify({ issuer: 'Acme', store: inner })
    const run = (verify, method, ...args) => (promises ? verify[method + 'Async'](...args) : verify[method](...args))
    const factor = await run(good, 'createFactor', ID, 'phone', { secret: SECRET, now: T })
    const other = await run(good, 'createFactor', ID, 'laptop', { secret: SECRET, now: T })
    await run(good, 'verifyFactor', ID, factor.sid, code(T), { now: T })
    await run(good, 'createFactor', OTHER, 'phone', { now: T })
    const otherText = inner.rows.get(MapStore.id('default', 'factor', other.sid)).text
    const fail = promises ? (v) => Promise.reject(v) : (v) => { throw v }
    const cases = [
      // [what, method, answer, error code, message]
      ['get throws', 'get', () => fail(new Error('connection refused')), 'storage', /the store failed: connection refused/],
      ['get throws a non-Error', 'get', () => fail('just a string'), 'storage', /just a string/],
      ['commit throws', 'commit', () => fail(new Error('disk full')), 'storage', /disk full/],
      ['list throws', 'list', () => fail(new Error('timeout')), 'storage', /timeout/],
      ['malformed JSON', 'get', (s, k, key, i) => (k === 'factor' ? '{"v": 1, "sid":' : i.get(s, k, key)), 'storage', /cannot be read/],
      ['another sid', 'get', (s, k, key, i) => (k === 'factor' ? otherText : i.get(s, k, key)), 'storage', /was answered with the record of/],
      ['a number for a record', 'get', (s, k, key, i) => (k === 'factor' ? 42 : i.get(s, k, key)), 'storage', /get answered a number/],
      ['an object for a record', 'get', (s, k, key, i) => (k === 'factor' ? { sid: factor.sid } : i.get(s, k, key)), 'storage', /get answered an? /],
      ['a listing that is no array', 'list', () => 'nope', 'storage', /list or scan answered a string/],
      ['a listing holding a number', 'list', () => [1], 'storage', /holding a number/],
      ['a listing of another identity', 'list', (s, id, k, after, limit, i) => i.list(s, OTHER, k, after, limit), 'storage', /belongs to another identity/],
      ['commit answering a string', 'commit', () => 'yes', 'storage', /commit answered a string, not true or false/],
      ['commit answering undefined', 'commit', () => undefined, 'storage', /commit answered undefined/],
    ]
    for (const [what, method, answer, errorCode, message] of cases) {
      const wrapped = (...a) => {
        const value = answer(...a)
        return promises && !(value instanceof Promise) ? Promise.resolve(value) : value
      }
      const verify = new Verify({ issuer: 'Acme', store: meddling(inner, method, wrapped) })
      const calls = [
        () => run(verify, 'createChallenge', ID, factor.sid, { authPayload: code(T + 30), now: T + 30 }),
        () => run(verify, 'listFactors', ID, { now: T + 30 }),
        () => run(verify, 'updateFactor', ID, factor.sid, { friendlyName: 'renamed', now: T + 30 }),
      ]
      let failed = 0
      for (const call of calls) {
        const before = inner.snapshot()
        let error
        try {
          await call()
        } catch (e) {
          error = e
        }
        if (error === undefined) continue // this operation does not ask what the store answers wrongly
        failed += 1
        assert.ok(error instanceof WatchwordError, `${what}: ${error}`)
        assert.equal(error.code, errorCode, `${what}: ${error.message}`)
        assert.equal(error.httpStatus, 500, what)
        assert.match(error.message, message, what)
        assert.doesNotMatch(error.message, new RegExp(SECRET), `${what}: no secret in the message`)
        const form = promises ? 'Promise forms' : 'synchronous'
        assert.deepEqual(inner.snapshot(), before, `${what} (${form}): the store is unchanged`)
      }
      assert.ok(failed > 0, `${what}: no operation failed`)
    }
    // The same records, through a store that answers well again.
    const challenge = await run(good, 'createChallenge', ID, factor.sid, { authPayload: code(T + 90), now: T + 90 })
    assert.equal(challenge.result, 'approved')
  }
})

test('many failing operations leave nothing behind', async () => {
  const inner = new MapStore({ async: true })
  const verify = new Verify({ issuer: 'Acme', store: inner })
  const factor = await verify.createFactorAsync(ID, 'phone', { secret: SECRET, now: T })
  const down = new Verify({ issuer: 'Acme', store: meddling(inner, 'commit', async () => { throw new Error('down') }) })
  globalThis.gc?.()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < 2000; i++) {
    await assert.rejects(down.updateFactorAsync(ID, factor.sid, { friendlyName: `n${i}`, now: T }), { code: 'storage' })
  }
  globalThis.gc?.()
  const grown = process.memoryUsage().heapUsed - before
  assert.ok(grown < 32 * 1024 * 1024, `the heap grew by ${grown} bytes over 2000 failed operations`)
  assert.equal((await verify.fetchFactorAsync(ID, factor.sid)).friendlyName, 'phone')
})

/** The garbage collector, reachable without starting node with --expose-gc. */
function collector() {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc')
}

test('a service over a store object lets the object go with it', async () => {
  const gc = collector()
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      gc()
    }
  }
  await settle()
  const before = process.memoryUsage().external
  for (let i = 0; i < 500; i++) {
    const store = new MapStore()
    store.ballast = Buffer.alloc(1 << 20) // 1 MiB outside the heap, held only through the store
    new Verify({ issuer: 'Acme', store }).createEntity(ID, { now: T })
    if (i % 50 === 0) await settle()
  }
  await settle()
  const grown = process.memoryUsage().external - before
  assert.ok(grown < 100 * (1 << 20), `${(grown / (1 << 20)).toFixed(0)} MiB of 500 stores' 500 MiB are still held`)
})

test('a store object in a worker thread', async () => {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Verify } = require(workerData)
    const rows = new Map()
    const store = {
      get: async (service, kind, key) => rows.get(kind + key) ?? null,
      list: async () => [],
      scan: async () => [],
      commit: async (writes) => {
        for (const w of writes) rows.set(w.kind + w.key, w.record)
        return true
      },
    }
    const verify = new Verify({ issuer: 'Acme', store })
    verify.createFactorAsync('user-0001', 'phone').then(
      (factor) => verify.fetchFactorAsync('user-0001', factor.sid),
    ).then((factor) => parentPort.postMessage([factor.friendlyName, rows.size]), (e) => parentPort.postMessage(String(e)))
    `,
    { eval: true, workerData: new URL('..', import.meta.url).pathname },
  )
  const [message] = await once(worker, 'message')
  await worker.terminate()
  assert.deepEqual(message, ['phone', 2])
})
