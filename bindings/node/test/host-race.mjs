// The replay race through a store object: in each round a fresh factor is enrolled, then
// `callers` concurrent promises present the same code (createChallengeAsync with authPayload)
// through the given services over one store: exactly one may be approved, every other one is
// `replayed`.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ww } from './helpers.mjs'

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const code = (at) => new ww.Totp(SECRET).generate(at)

/** Runs the race; `services` is one `Verify` or several over the same store. */
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
