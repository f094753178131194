// The official Okta management SDK (@okta/okta-sdk-nodejs, pinned in package.json) against
// `watchword serve`, with only its orgUrl and API token changed: enroll a TOTP factor, activate
// it, verify codes, and Okta's errors. WATCHWORD_SERVER_BIN names the server binary.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import * as OTPAuth from 'otpauth'
import okta from '@okta/okta-sdk-nodejs'

const TOKEN = '00okta-api-token-0123456789abcdef'
const USER = '00u15s1KDETTQMQYABRL'

let server
let orgUrl

before(async () => {
  const binary = process.env.WATCHWORD_SERVER_BIN
  assert.ok(binary, 'WATCHWORD_SERVER_BIN names the watchword binary')
  server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--store', 'memory:'], {
    env: {
      ...process.env,
      WATCHWORD_TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32),
      WATCHWORD_TWILIO_AUTH_TOKEN: 'unused-twilio-token-000',
      WATCHWORD_OKTA_API_TOKEN: TOKEN,
      WATCHWORD_LOG: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve)
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  })
  orgUrl = 'http://' + first.replace('listening on ', '')
})

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    assert.equal(await exited, 0)
  }
})

function client (token = TOKEN) {
  return new okta.Client({ orgUrl, token, cacheMiddleware: null })
}

test('enroll, activate and verify a TOTP factor', async () => {
  const api = client().userFactorApi
  const enrolled = await api.enrollFactor({ userId: USER, body: { factorType: 'token:software:totp', provider: 'OKTA' } })
  assert.equal(enrolled.status, 'PENDING_ACTIVATION')
  const activation = enrolled._embedded.activation
  assert.equal(activation.timeStep, 30)
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(activation.sharedSecret), digits: 6, period: 30 })

  const wrong = totp.generate() === '000000' ? '111111' : '000000'
  await assert.rejects(api.activateFactor({ userId: USER, factorId: enrolled.id, body: { passCode: wrong } }), (err) => {
    assert.equal(err.status, 403)
    assert.equal(err.errorCode, 'E0000068')
    return true
  })
  const active = await api.activateFactor({ userId: USER, factorId: enrolled.id, body: { passCode: totp.generate() } })
  assert.equal(active.status, 'ACTIVE')

  const next = totp.generate({ timestamp: Date.now() + 30_000 })
  const verified = await api.verifyFactor({ userId: USER, factorId: enrolled.id, body: { passCode: next } })
  assert.equal(verified.factorResult, 'SUCCESS')
  await assert.rejects(api.verifyFactor({ userId: USER, factorId: enrolled.id, body: { passCode: next } }), (err) => {
    assert.equal(err.status, 403)
    assert.equal(err.errorCode, 'E0000082')
    return true
  })

  const fetched = await api.getFactor({ userId: USER, factorId: enrolled.id })
  assert.equal(fetched.status, 'ACTIVE')
  const listed = []
  for await (const factor of await api.listFactors({ userId: USER })) listed.push(factor.id)
  assert.deepEqual(listed, [enrolled.id])
  const catalog = []
  for await (const entry of await api.listSupportedFactors({ userId: USER })) catalog.push(entry.provider)
  assert.deepEqual(catalog, ['OKTA', 'GOOGLE'])
  await api.unenrollFactor({ userId: USER, factorId: enrolled.id })
  await assert.rejects(api.getFactor({ userId: USER, factorId: enrolled.id }), (err) => err.status === 404 && err.errorCode === 'E0000007')
})

test('a wrong API token', async () => {
  await assert.rejects(client('wrong-token-000000000000').userFactorApi.listFactors({ userId: USER }).then(async (c) => {
    for await (const _ of c) { /* reading the first page sends the request */ }
  }), (err) => err.status === 401 && err.errorCode === 'E0000011')
})
