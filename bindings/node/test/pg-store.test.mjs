// The node-postgres store of examples/pg-store.mjs against the PostgreSQL server of
// WATCHWORD_TEST_PG_URL (`bash mk/with-postgres.sh …` or `make test` starts one; without it these
// tests fail, unless WATCHWORD_TEST_PG=skip): its compare-and-set commits, every shared scenario
// through the Promise forms, the replay race of 16 concurrent promises, a database that fails,
// and an event loop that keeps turning while 1,000 operations run. Everything lives in a schema
// made for this run and dropped at its end.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import pg from 'pg'
import { ww, scenarioFiles } from './helpers.mjs'
import { runScenario } from './scenario-runner.mjs'
import { compareAndSet, replayRace } from './store-checks.mjs'
import { PgStore, schema } from '../../../examples/pg-store.mjs'

const { Verify, Totp, WatchwordError } = ww
const ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479'
const T = 1_700_000_010
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const code = (at) => new Totp(SECRET).generate(at)

const url = process.env.WATCHWORD_TEST_PG_URL
const skip = !url && process.env.WATCHWORD_TEST_PG === 'skip' ? 'PostgreSQL: WATCHWORD_TEST_PG=skip' : false
const SCHEMA = `ww_node_${randomBytes(6).toString('hex')}`

let pool
function thePool() {
  assert.ok(url, 'WATCHWORD_TEST_PG_URL is not set: the node-postgres store tests need a database (WATCHWORD_TEST_PG=skip skips them)')
  // Every client of the pool works in this run's schema.
  pool ??= new pg.Pool({ connectionString: url, max: 16, options: `-c search_path=${SCHEMA}` })
  return pool
}

let tables = 0
/** A store over a fresh table of this run's schema. */
async function freshStore() {
  const p = thePool()
  if (tables === 0) await p.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`)
  const store = new PgStore(p, { table: `records_${++tables}` })
  await store.migrate()
  return store
}

after(async () => {
  if (pool) {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
    await pool.end()
  }
})

test('the node-postgres store: each write compares and sets its version, a commit is all or nothing', { skip }, async () => {
  const store = await freshStore()
  await compareAndSet(store)
  assert.equal(store.pool.idleCount, store.pool.totalCount, 'every client went back to the pool')
  assert.throws(() => new PgStore(store.pool, { table: 'no; drop' }), TypeError)
  assert.equal(schema('t').length, 3)
})

for (const { file, scenario } of scenarioFiles()) {
  test(`scenario ${file} over node-postgres: ${scenario.name} (Promise forms)`, { skip }, async () =>
    runScenario(file, scenario, { promises: true, store: await freshStore() }))
}

test('16 concurrent promises present one code over node-postgres: exactly one is approved, 200 rounds', { skip }, async () => {
  const store = await freshStore()
  const services = Array.from({ length: 4 }, () => new Verify({ issuer: 'Acme', store, lockoutThreshold: 20 }))
  await replayRace(services, { callers: 16, rounds: 200 })
  assert.equal(store.pool.waitingCount, 0)
})

test("watchword's writes inside the application's own transaction: kept with it or undone with it", { skip }, async () => {
  const store = await freshStore()
  await store.pool.query(`CREATE TABLE app_users_${tables} (id text PRIMARY KEY)`)
  const outside = new Verify({ issuer: 'Acme', store })
  const rows = async (identity) =>
    (await store.pool.query(`SELECT count(*)::int AS n FROM ${store.table} WHERE identity = $1`, [identity])).rows[0].n
  for (const [n, outcome] of ['ROLLBACK', 'COMMIT'].entries()) {
    const identity = `user-000${n}`
    const client = await store.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`INSERT INTO app_users_${tables} (id) VALUES ($1)`, [identity])
      const within = PgStore.inTransaction(client, { table: store.table })
      const verify = new Verify({ issuer: 'Acme', store: within })
      const factor = await verify.createFactorAsync(identity, 'phone', { secret: SECRET, now: T })
      // Reads in the transaction see its writes; outside it, nothing yet.
      assert.equal((await verify.fetchFactorAsync(identity, factor.sid)).sid, factor.sid)
      assert.equal(await rows(identity), 0)
      // A conflict undoes watchword's writes only: the transaction goes on.
      const again = { service: 'default', kind: 'factor', key: factor.sid, identity, created: T, expectedVersion: 0, version: 1, record: '{}' }
      assert.equal(await within.commit([again]), false)
      assert.equal((await verify.verifyFactorAsync(identity, factor.sid, code(T), { now: T })).result, 'approved')
      await client.query(outcome)
    } finally {
      client.release()
    }
    if (outcome === 'ROLLBACK') assert.equal(await rows(identity), 0, 'rolled back with the transaction')
    else assert.deepEqual([...(await outside.listFactorsAsync(identity))].map((f) => f.status), ['verified'])
  }
})

test('a database that fails: the storage error with its message, nothing written, every client back in the pool', { skip }, async () => {
  const store = await freshStore()
  const verify = new Verify({ issuer: 'Acme', store })
  const factor = await verify.createFactorAsync(ID, 'phone', { secret: SECRET, now: T })
  await verify.verifyFactorAsync(ID, factor.sid, code(T), { now: T })
  const before = (await store.pool.query(`SELECT key, version, data FROM ${store.table} ORDER BY key`)).rows

  // A commit whose statement fails inside the transaction: rolled back, the client released.
  const failing = new PgStore(store.pool, { table: store.table })
  failing.apply = async (client, write) => {
    await client.query(`SELECT 1 FROM ${store.table} WHERE key = $1 FOR UPDATE`, [write.key])
    await client.query('SELECT 1/0')
  }
  const broken = new Verify({ issuer: 'Acme', store: failing })
  const e = await broken.createChallengeAsync(ID, factor.sid, { authPayload: code(T + 30), now: T + 30 }).catch((e) => e)
  assert.ok(e instanceof WatchwordError, String(e))
  assert.equal(e.code, 'storage')
  assert.match(e.message, /division by zero/)
  assert.deepEqual((await store.pool.query(`SELECT key, version, data FROM ${store.table} ORDER BY key`)).rows, before)
  assert.equal(store.pool.idleCount, store.pool.totalCount, 'the client of the failed commit went back to the pool')

  // A server nobody answers on.
  const nowhere = new URL(url)
  nowhere.port = '1'
  const down = new pg.Pool({ connectionString: nowhere.href, connectionTimeoutMillis: 2000 })
  try {
    const lost = new Verify({ issuer: 'Acme', store: new PgStore(down, { table: store.table }) })
    const e2 = await lost.fetchFactorAsync(ID, factor.sid).catch((e) => e)
    assert.equal(e2.code, 'storage', String(e2))
    assert.match(e2.message, /the store failed: .*(ECONNREFUSED|connect)/)
    assert.doesNotMatch(e2.message, new RegExp(new URL(url).password), 'no password in the message')
  } finally {
    await down.end()
  }

  // The same records work on: the code of T + 30 was never used.
  const challenge = await verify.createChallengeAsync(ID, factor.sid, { authPayload: code(T + 30), now: T + 30 })
  assert.equal(challenge.result, 'approved')
})

// The loop is blocked when it runs code instead of its timers: each 5 ms tick measures the time
// since the last one (the gap) and the CPU time the process used meanwhile. A gap spent without
// the CPU is the machine's scheduler at work (a loaded machine), not code blocking the loop; so
// the gap counts as blocked for at most the CPU time used in it, and on a machine that is not
// overloaded (load average below its cores) the gap itself must stay below 50 ms too.
test('the event loop keeps turning while 1,000 operations run over node-postgres', { skip }, async (t) => {
  const store = await freshStore()
  const verify = new Verify({ issuer: 'Acme', store })
  const identities = Array.from({ length: 10 }, (_, i) => `loop-user-${i}`)
  const factors = []
  for (const identity of identities) {
    factors.push(await verify.createFactorAsync(identity, 'phone', { secret: SECRET, now: T }))
  }
  const cpu = () => {
    const { user, system } = process.cpuUsage()
    return (user + system) / 1000
  }
  let last = performance.now()
  let lastCpu = cpu()
  let maxGap = 0
  let maxBlocked = 0
  let ticks = 0
  const tick = () => {
    const now = performance.now()
    const used = cpu()
    maxGap = Math.max(maxGap, now - last)
    maxBlocked = Math.max(maxBlocked, Math.min(now - last, used - lastCpu))
    last = now
    lastCpu = used
    ticks += 1
  }
  const timer = setInterval(tick, 5)
  const loadBefore = os.loadavg()[0]
  const started = performance.now()
  let done = 0
  try {
    // 1,000 operations, ten at a time: writes, reads and listings over ten entities.
    let next = 0
    const worker = async () => {
      for (let i = next++; i < 1000; i = next++) {
        const j = i % factors.length
        const [identity, sid] = [identities[j], factors[j].sid]
        if (i % 3 === 0) await verify.updateFactorAsync(identity, sid, { friendlyName: `phone ${i}`, now: T + i })
        else if (i % 3 === 1) await verify.fetchFactorAsync(identity, sid, { now: T + i })
        else await verify.listFactorsAsync(identity, { now: T + i })
        done += 1
      }
    }
    await Promise.all(Array.from({ length: 10 }, worker))
  } finally {
    clearInterval(timer)
  }
  tick()
  const elapsed = performance.now() - started
  const load = Math.max(loadBefore, os.loadavg()[0])
  const cores = os.availableParallelism?.() ?? os.cpus().length
  t.diagnostic(
    `${done} operations in ${elapsed.toFixed(0)} ms; ${ticks} ticks of the 5 ms timer; longest gap ` +
      `${maxGap.toFixed(1)} ms, longest blocked ${maxBlocked.toFixed(1)} ms (load average ${load.toFixed(1)}, ${cores} cores)`,
  )
  assert.equal(done, 1000)
  assert.ok(maxBlocked < 50, `the event loop was blocked for ${maxBlocked.toFixed(1)} ms`)
  if (load < cores) assert.ok(maxGap < 50, `the event loop did not turn for ${maxGap.toFixed(1)} ms`)
})
