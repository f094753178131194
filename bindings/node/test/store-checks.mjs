// What every store object of the tests must pass, besides the shared scenarios: its commits
// compare and set each row's version, all or nothing, and its listings go in order
// (`compareAndSet`); and the replay race (`replayRace`).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ww } from './helpers.mjs'

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const code = (at) => new ww.Totp(SECRET).generate(at)

/**
 * The store's own contract, called directly: inserts, updates and deletes that compare the
 * version, a commit undone by the conflict of one of its writes, listings by (created, key)
 * after a place and up to a limit.
 */
export async function compareAndSet(store) {
  const T = 1_700_000_010
  const write = (key, expectedVersion, version, record) => ({
    service: 'default', kind: 'entity', key, identity: key, created: T, expectedVersion, version, record,
  })
  assert.equal(await store.commit([write('user-0001', 0, 1, 'a1')]), true)
  assert.equal(await store.commit([write('user-0001', 0, 1, 'again')]), false, 'an insert over a row is a conflict')
  assert.equal(await store.commit([write('user-0001', 2, 3, 'b')]), false, 'an update of another version is a conflict')
  assert.equal(await store.commit([write('user-0001', 1, 2, 'a2')]), true)
  // All or nothing: the second write's conflict undoes the first.
  assert.equal(await store.commit([write('user-0002', 0, 1, 'new'), write('user-0001', 1, 2, 'stale')]), false)
  assert.equal(await store.get('default', 'entity', 'user-0002'), null)
  assert.equal(await store.get('default', 'entity', 'user-0001'), 'a2')
  const remove = (version) => ({ ...write('user-0001', version, version, null), identity: '', created: 0 })
  assert.equal(await store.commit([remove(1)]), false, 'a delete of another version is a conflict')
  assert.equal(await store.commit([remove(2)]), true)
  assert.equal(await store.get('default', 'entity', 'user-0001'), null)
  assert.equal(await store.commit([remove(2)]), false, 'a delete of a row that is gone is a conflict')
  // Listings: by (created, key), after a place, at most a limit; other services apart.
  for (const [i, key] of ['user-000c', 'user-000a', 'user-000b'].entries()) {
    const created = T + (i === 0 ? 1 : 0)
    assert.equal(await store.commit([{ ...write(key, 0, 1, key), identity: 'someone-1', created }]), true)
  }
  assert.equal(await store.commit([{ ...write('user-000d', 0, 1, 'elsewhere'), service: 'other' }]), true)
  assert.deepEqual(await store.list('default', 'someone-1', 'entity', null, 10), ['user-000a', 'user-000b', 'user-000c'])
  assert.deepEqual(await store.scan('default', 'entity', null, 2), ['user-000a', 'user-000b'])
  assert.deepEqual(await store.scan('default', 'entity', { created: T, key: 'user-000a' }, 1), ['user-000b'])
  assert.deepEqual(await store.list('default', 'someone-1', 'entity', { created: T, key: 'user-000b' }, 10), ['user-000c'])
  assert.deepEqual(await store.list('default', 'someone-2', 'entity', null, 10), [])
  assert.deepEqual(await store.list('default', 'someone-1', 'factor', null, 10), [])
}

/**
 * The replay race through a store object: in each round a fresh factor is enrolled, then
 * `callers` concurrent promises present the same code (createChallengeAsync with authPayload)
 * through the given services over one store: exactly one may be approved, every other one is
 * `replayed`. `services` is one `Verify` or several over the same store.
 */
export async function replayRace(services, { callers = 16, rounds = 200 } = {}) {
  const all = Array.isArray(services) ? services : [services]
  const tag = randomBytes(4).toString('hex')
  for (let round = 0; round < rounds; round++) {
    const identity = `race-${tag}-${round}`
    const t = 1_700_000_010 + round * 30
    const factor = await all[0].createFactorAsync(identity, 'phone', { secret: SECRET, now: t })
    assert.equal((await all[0].verifyFactorAsync(identity, factor.sid, code(t), { now: t })).result, 'approved')
    const now = t + 30
    const presented = code(now)
    const results = await Promise.all(
      Array.from({ length: callers }, (_, i) =>
        all[i % all.length]
          .createChallengeAsync(identity, factor.sid, { authPayload: presented, now })
          .then((challenge) => challenge.result, (error) => `${error.code}: ${error.message}`),
      ),
    )
    const approved = results.filter((r) => r === 'approved').length
    const replayed = results.filter((r) => r === 'replayed').length
    assert.deepEqual([approved, replayed], [1, callers - 1], `round ${round}: ${JSON.stringify(results)}`)
  }
}
