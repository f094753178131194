// Several OS processes on one store (SPEC §7, §9): a code (TOTP or recovery) is approved once
// across processes, a challenge takes no more wrong answers than its attempt limit, and what one
// process wrote another one reads after the first has exited.
//
// Each test runs on SQLite (a temporary file) and on PostgreSQL (the URL in the environment
// variable WATCHWORD_TEST_PG_URL; without it the PostgreSQL tests fail, unless
// WATCHWORD_TEST_PG=skip). The worker processes (process-worker.mjs) are started once per test and
// driven round by round through their stdin and stdout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ww } from './helpers.mjs'

const { Verify, Totp, parseUri } = ww
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'process-worker.mjs')
const ROUNDS = Number(process.env.WW_TEST_RACE_ROUNDS ?? 200)
const T0 = 1_700_000_010 // 10 s into a 30 s step

/** One worker process, answering a command per line. */
class Worker {
  constructor(store, service) {
    this.child = spawn(process.execPath, [WORKER, store, service], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = []
    this.waiting = []
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiter = this.waiting.shift()
      if (waiter) waiter(line)
      else this.lines.push(line)
    })
  }

  send(line) {
    this.child.stdin.write(line + '\n')
  }

  receive() {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift())
    return Promise.race([
      new Promise((resolve) => this.waiting.push(resolve)),
      this.exited.then((code) => {
        throw new Error(`worker ${this.child.pid} exited (status ${code})`)
      }),
    ])
  }

  async ask(line) {
    this.send(line)
    return this.receive()
  }

  async close() {
    if (this.child.exitCode === null) this.send('quit')
    this.child.stdin.end()
    return this.exited
  }
}

async function start(store, service, count) {
  const workers = Array.from({ length: count }, () => new Worker(store, service))
  for (const worker of workers) assert.equal(await worker.receive(), 'ready')
  return workers
}

/** Sends one command to every worker at once, then collects their answers. */
async function broadcast(workers, line) {
  for (const worker of workers) worker.send(line)
  return Promise.all(workers.map((worker) => worker.receive()))
}

function codeAt(uri, at) {
  const key = parseUri(uri)
  return new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period }).generate(at)
}

const count = (answers, answer) => answers.filter((a) => a === answer).length

/** Runs `body(store, service)` on a fresh store of each kind, each test in a namespace of its own. */
function onEveryStore(name, body) {
  test(`${name} (SQLite)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watchword-node-'))
    try {
      await body(`sqlite:///${join(dir, 'watchword.db')}`, 'default')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  const url = process.env.WATCHWORD_TEST_PG_URL
  const skip = !url && process.env.WATCHWORD_TEST_PG === 'skip' ? 'PostgreSQL: WATCHWORD_TEST_PG=skip' : false
  test(`${name} (PostgreSQL)`, { skip }, async () => {
    assert.ok(url, 'WATCHWORD_TEST_PG_URL is not set: the PostgreSQL process tests need a database (WATCHWORD_TEST_PG=skip skips them)')
    await body(url, `race-${process.pid}-${randomBytes(4).toString('hex')}`)
  })
}

onEveryStore('one code is approved once across eight processes', async (store, service) => {
  const verify = await Verify.open({ issuer: 'Race', store, service })
  const workers = await start(store, service, 8)
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const identity = `race-${String(round).padStart(4, '0')}-user`
      const now = T0 + round * 90
      const factor = await verify.createFactorAsync(identity, 'phone', { now })
      const uri = factor.binding.uri
      assert.equal((await verify.verifyFactorAsync(identity, factor.sid, codeAt(uri, now), { now })).result, 'approved')
      const answers = await broadcast(workers, `challenge ${identity} ${factor.sid} ${codeAt(uri, now + 30)} ${now + 30}`)
      assert.equal(count(answers, 'ok approved'), 1, `round ${round}: ${answers}`)
      assert.equal(count(answers, 'ok replayed'), 7, `round ${round}: ${answers}`)
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()))
  }
  const approved = verify.listChallenges('race-0000-user', { status: 'approved' })
  assert.equal(approved.length, 1)
  assert.equal(approved.nextPageToken, null)
})

onEveryStore('one recovery code is redeemed once across sixteen processes', async (store, service) => {
  // Each set keeps the iteration count it was made with: the workers hash with this one.
  const verify = await Verify.open({ issuer: 'Race', store, service, recoveryCodeIterations: 1000 })
  const workers = await start(store, service, 16)
  try {
    for (let round = 0; round < Math.max(Math.floor(ROUNDS / 10), 3); round++) {
      const identity = `codes-${String(round).padStart(4, '0')}-user`
      const now = T0 + round
      const factor = await verify.createFactorAsync(identity, 'backup', { factorType: 'recovery_codes', count: 2, now })
      const answers = await broadcast(workers, `challenge ${identity} ${factor.sid} ${factor.binding.codes[1]} ${now}`)
      assert.equal(count(answers, 'ok approved'), 1, `round ${round}: ${answers}`)
      // The workers have the default lockout threshold (10): replays past it meet a locked
      // factor, rightly.
      const others = count(answers, 'ok replayed') + count(answers, 'error factor_locked')
      assert.equal(others, 15, `round ${round}: ${answers}`)
      assert.equal((await verify.fetchFactorAsync(identity, factor.sid, { now })).config.remaining, 1)
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()))
  }
})

onEveryStore('sixteen processes never pass the attempt limit', async (store, service) => {
  const verify = await Verify.open({ issuer: 'Race', store, service })
  const limit = 5 // the default challengeAttempts
  const workers = await start(store, service, 16)
  try {
    for (let round = 0; round < Math.max(Math.floor(ROUNDS / 20), 3); round++) {
      const identity = `wrong-${String(round).padStart(4, '0')}-user`
      const now = T0 + round * 90
      const factor = await verify.createFactorAsync(identity, 'phone', { now })
      const uri = factor.binding.uri
      assert.equal((await verify.verifyFactorAsync(identity, factor.sid, codeAt(uri, now), { now })).result, 'approved')
      const challenge = await verify.createChallengeAsync(identity, factor.sid, { now: now + 30 })
      const near = new Set(Array.from({ length: 9 }, (_, i) => codeAt(uri, now + 30 + (i - 4) * 30)))
      let wrong = 0
      while (near.has(String(wrong).padStart(6, '0'))) wrong++
      const answers = await broadcast(workers, `answer ${identity} ${challenge.sid} ${String(wrong).padStart(6, '0')} ${now + 30}`)
      assert.equal(count(answers, 'ok invalid_code'), limit, `round ${round}: ${answers}`)
      assert.equal(count(answers, 'error challenge_attempts_reached'), 16 - limit, `round ${round}: ${answers}`)
      assert.equal((await verify.fetchChallengeAsync(identity, challenge.sid, { now: now + 30 })).status, 'pending')
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()))
  }
})

onEveryStore('what one process wrote the next reads', async (store, service) => {
  const identity = 'persist-0001-user'
  const [first] = await start(store, service, 1)
  let answer
  try {
    answer = (await first.ask(`enroll ${identity} ${T0}`)).split(' ')
  } finally {
    assert.equal(await first.close(), 0)
  }
  assert.equal(answer[0], 'ok', answer.join(' '))
  const [, sid, uri] = answer

  const [second] = await start(store, service, 1)
  try {
    assert.equal(await second.ask(`verify ${identity} ${sid} ${codeAt(uri, T0 + 30)} ${T0 + 30}`), 'ok approved')
    // The replay floor is in the store too: the same code again, from yet another process.
    assert.equal(await second.ask(`challenge ${identity} ${sid} ${codeAt(uri, T0 + 30)} ${T0 + 31}`), 'ok replayed')
  } finally {
    await second.close()
  }

  const reopened = new Verify({ issuer: 'Race', store, service })
  assert.equal(reopened.fetchFactor(identity, sid).status, 'verified')
  assert.deepEqual(reopened.listEntities().map((e) => e.identity), [identity])
  const challenges = reopened.listChallenges(identity, { now: T0 + 31 })
  assert.deepEqual(challenges.map((c) => c.status), ['pending'])
  // Another namespace of the same store sees none of it.
  assert.deepEqual(new Verify({ issuer: 'Race', store, service: `${service}-other` }).listEntities(), [])
})
