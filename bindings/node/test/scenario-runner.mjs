// The runner of the shared scenarios (tests/vectors/scenarios) through the typed Verify API:
// each step's snake_case operation and arguments become a camelCase method call (positional
// arguments, then an options object with `now`), and each answer is turned back into the
// service's JSON form (snake_case keys, RFC 3339 dates) to compare with the expectations.
// scenarios.test.mjs runs them over the built-in store, host-store.test.mjs over store objects.
//
// Two kinds of steps cannot be expressed as a typed method call: an operation name that is no
// method (`approve_challenge`, `CREATE_FACTOR`, '') and arguments that are not an object. Those
// go through `verify.call(op, argsJson)`, the package's JSON dispatch by operation name, which is
// how a Node host hands such a request on.
import assert from 'node:assert/strict'
import { ww, camel, toServiceJson } from './helpers.mjs'

const { Verify, Totp, parseUri } = ww

/** The positional arguments of each operation's method; every other argument is an option. */
const POSITIONAL = {
  create_entity: ['identity'],
  fetch_entity: ['identity'],
  list_entities: [],
  delete_entity: ['identity'],
  create_factor: ['identity', 'friendly_name'],
  fetch_factor: ['identity', 'factor_sid'],
  list_factors: ['identity'],
  update_factor: ['identity', 'factor_sid'],
  verify_factor: ['identity', 'factor_sid', 'code'],
  delete_factor: ['identity', 'factor_sid'],
  unlock_factor: ['identity', 'factor_sid'],
  create_challenge: ['identity', 'factor_sid'],
  update_challenge: ['identity', 'challenge_sid', 'auth_payload'],
  fetch_challenge: ['identity', 'challenge_sid'],
  list_challenges: ['identity'],
  sweep: [],
  reseal: [],
  export_entity: ['identity'],
  export_factor: ['factor_sid'],
  export_challenge: ['challenge_sid'],
  import_entity: ['record'],
  import_factor: ['record'],
  import_challenge: ['record'],
}

function settingsOf(snakeSettings) {
  return Object.fromEntries(Object.entries(snakeSettings).map(([k, v]) => [camel(k), v]))
}

class Runner {
  /**
   * `promises`: run every step through the Promise form of its method (`createFactorAsync` …);
   * `store`: the service's `store` setting (a URL or a store object), if any.
   */
  constructor(settings, promises = false, store = undefined) {
    this.promises = promises
    this.verify = new Verify({ ...settingsOf(settings), ...(store === undefined ? {} : { store }) })
    this.saved = new Map()
    this.uris = new Map()
    this.codes = new Map()
  }

  resolve(value) {
    if (typeof value === 'string' && value.startsWith('$')) {
      const name = value.slice(1)
      assert.ok(this.saved.has(name), `nothing saved as ${name}`)
      return this.saved.get(name)
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v))
    if (value !== null && typeof value === 'object') {
      if (typeof value.totp === 'string' && 'at' in value && Object.keys(value).length === 2) {
        return this.code(value.totp, value.at)
      }
      if (typeof value.recovery === 'string') {
        const codes = this.codes.get(value.recovery)
        assert.ok(codes, `no recovery codes saved as ${value.recovery}`)
        return spell(codes[value.index], value.spelling)
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]))
    }
    return value
  }

  /** What the factor saved as `name` shows at `at`, computed from its key URI with `Totp`. */
  code(name, at) {
    const uri = this.uris.get(name)
    assert.ok(uri, `no key URI saved as ${name}`)
    const key = parseUri(uri)
    return new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period }).generate(at)
  }

  async run(op, args, now) {
    const method = POSITIONAL[op]
    const suffix = this.promises ? 'Async' : ''
    if (!method || (args !== null && (typeof args !== 'object' || Array.isArray(args)))) {
      return JSON.parse(await this.verify['call' + suffix](op, JSON.stringify(args ?? {}), { now }))
    }
    const rest = { ...(args ?? {}) }
    const positional = method.map((name) => {
      const v = rest[name]
      delete rest[name]
      return v
    })
    const options = { now }
    for (const [k, v] of Object.entries(rest)) options[camel(k)] = v
    const answer = this.promises
      ? await assertPromise(this.verify[camel(op) + suffix](...positional, options), op)
      : this.verify[camel(op)](...positional, options)
    if (Array.isArray(answer)) {
      // A page: an array of items carrying nextPageToken, in the JSON dispatch's page shape.
      assert.ok('nextPageToken' in answer, `${op} answered an array without nextPageToken`)
      return { items: toServiceJson(answer), next_page_token: answer.nextPageToken }
    }
    return toServiceJson(answer)
  }

  save(name, answer) {
    if (isPage(answer)) this.saved.set(name, answer.next_page_token)
    else if (typeof answer === 'string') this.saved.set(name, answer)
    else if (answer && typeof answer === 'object' && 'sid' in answer) this.saved.set(name, answer.sid)
    if (answer && answer.binding && answer.binding.uri) this.uris.set(name, answer.binding.uri)
    if (answer && answer.binding && answer.binding.codes) this.codes.set(name, answer.binding.codes)
  }
}

/** A recovery code as the scenario spells it: as shown, or 'loose' (upper case, a space for the hyphen). */
function spell(code, spelling) {
  if (spelling === undefined) return code
  assert.equal(spelling, 'loose', `unknown spelling ${spelling}`)
  return code.toUpperCase().replace('-', ' ')
}

/** The Promise forms answer with a promise, also when they fail (never a synchronous throw). */
function assertPromise(value, op) {
  assert.ok(value instanceof Promise, `${op}Async did not return a promise`)
  return value
}

/** Whether an answer is a page of a list operation (`{items, next_page_token}`). */
function isPage(answer) {
  return answer !== null && typeof answer === 'object' && Array.isArray(answer.items) && 'next_page_token' in answer
}

/** `actual` holds every field of `expected`; nested objects are compared the same way. */
function assertSubset(actual, expected, path) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path} is not an object`)
    for (const [k, v] of Object.entries(expected)) {
      assert.ok(k in actual, `${path}.${k} is missing`)
      assertSubset(actual[k], v, `${path}.${k}`)
    }
  } else {
    assert.deepEqual(actual, expected, path)
  }
}

function check(answer, expect, where) {
  if ('status' in expect) assert.equal(answer.status, expect.status, `${where}: status`)
  if ('result' in expect) assert.equal(answer.result, expect.result, `${where}: result`)
  if ('result_offset' in expect) assert.equal(answer.result_offset, expect.result_offset, `${where}: result_offset`)
  if ('fields' in expect) assertSubset(answer, expect.fields, where)
  for (const key of expect.absent ?? []) assert.ok(!(key in answer), `${where}: ${key} should be absent`)
  if ('count' in expect) {
    assert.ok(isPage(answer), `${where}: not a page`)
    assert.equal(answer.items.length, expect.count, `${where}: count`)
  }
  if ('sids' in expect) {
    assert.ok(isPage(answer), `${where}: not a page`)
    assert.deepEqual(answer.items.map((x) => x.sid), expect.sids, `${where}: sids`)
  }
  if ('next_page' in expect) {
    assert.ok(isPage(answer), `${where}: not a page`)
    assert.equal(answer.next_page_token !== null, expect.next_page, `${where}: next_page_token ${answer.next_page_token}`)
  }
  if ('value' in expect) assert.deepEqual(answer, expect.value, `${where}: value`)
}

/**
 * Runs one scenario file's steps, through the Promise forms when `promises`, over `store` (a
 * URL or a store object; the default store when undefined).
 */
export async function runScenario(file, scenario, { promises = false, store = undefined } = {}) {
  const runner = new Runner(scenario.settings, promises, store)
  for (const [index, step] of scenario.steps.entries()) {
    const where = `${file} step ${index + 1} (${step.op})${step.note ? ': ' + step.note : ''}`
    const expect = runner.resolve(step.expect ?? {})
    for (let i = 0; i < (step.repeat ?? 1); i++) {
      const args = runner.resolve(step.args ?? null)
      let answer
      let error = null
      try {
        answer = await runner.run(step.op, args, step.now)
      } catch (e) {
        error = e
      }
      if ('error' in expect) {
        assert.ok(error, `${where}: expected ${expect.error}, got an answer`)
        assert.equal(error.code, expect.error, `${where}: ${error.message}`)
        if (error.code !== 'invalid_parameter') assert.ok(error instanceof ww.WatchwordError, where)
        continue
      }
      if (error) throw new Error(`${where}: unexpected ${error.name} ${error.code}: ${error.message}`)
      check(answer, expect, where)
      if (step.save) runner.save(step.save, answer)
    }
  }
}
