// The official `twilio` npm SDK (pinned in package.json) against `watchword serve`, with only
// `client.verify.baseUrl` and the credentials changed: Twilio's Verify TOTP quickstart and its answers.
// WATCHWORD_SERVER_BIN names the server binary (make server-test sets it).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import * as OTPAuth from 'otpauth'
import twilio from 'twilio'

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2)
const AUTH_TOKEN = 'node-sdk-token-0123456789'
const IDENTITY = 'ff483d1ff591898a9942916050d2ca3f'

let server
let baseUrl

before(async () => {
  const binary = process.env.WATCHWORD_SERVER_BIN
  assert.ok(binary, 'WATCHWORD_SERVER_BIN names the watchword binary')
  server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--store', 'memory:'], {
    env: { ...process.env, WATCHWORD_TWILIO_ACCOUNT_SID: ACCOUNT_SID, WATCHWORD_TWILIO_AUTH_TOKEN: AUTH_TOKEN, WATCHWORD_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: server.stdout })
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve)
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  })
  assert.match(first, /^listening on /)
  baseUrl = 'http://' + first.replace('listening on ', '')
})

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    assert.equal(await exited, 0, 'the server stops gracefully')
  }
})

function client (token = AUTH_TOKEN) {
  const c = twilio(ACCOUNT_SID, token)
  c.verify.baseUrl = baseUrl
  return c
}

function totpOf (secret) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' })
}

test('the Verify TOTP quickstart', async () => {
  const c = client()
  const service = await c.verify.v2.services.create({ friendlyName: 'Acme', 'totp.issuer': 'Acme Inc' })
  assert.match(service.sid, /^VA[0-9a-f]{32}$/)
  assert.deepEqual(service.totp, { issuer: 'Acme Inc', time_step: 30, code_length: 6, skew: 1 })
  const entity = c.verify.v2.services(service.sid).entities(IDENTITY)

  const newFactor = await entity.newFactors.create({ friendlyName: "Taylor's Account Name", factorType: 'totp' })
  assert.equal(newFactor.status, 'unverified')
  const totp = totpOf(newFactor.binding.secret)

  const factor = await entity.factors(newFactor.sid).update({ authPayload: totp.generate() })
  assert.equal(factor.status, 'verified')

  const code = totp.generate({ timestamp: Date.now() + 30_000 })
  const challenge = await entity.challenges.create({
    authPayload: code,
    factorSid: newFactor.sid,
    'details.message': 'Log in?',
    'details.fields': [{ label: 'Action', value: 'Sign in' }],
    hiddenDetails: { ip: '172.168.1.234' },
  })
  assert.equal(challenge.status, 'approved')
  assert.deepEqual(challenge.details.fields, [{ label: 'Action', value: 'Sign in' }])
  assert.ok(challenge.dateResponded instanceof Date)

  const again = await entity.challenges.create({ authPayload: code, factorSid: newFactor.sid })
  assert.equal(again.status, 'pending')
  await assert.rejects(entity.challenges(challenge.sid).update({ authPayload: code }), (err) => {
    assert.equal(err.status, 403)
    assert.equal(err.code, 60322)
    return true
  })
})

test('an expired challenge and listing with paging', async () => {
  const c = client()
  const service = await c.verify.v2.services.create({ friendlyName: 'Acme' })
  const entity = c.verify.v2.services(service.sid).entities(IDENTITY)
  const newFactor = await entity.newFactors.create({ friendlyName: 'phone', factorType: 'totp' })
  const totp = totpOf(newFactor.binding.secret)
  await entity.factors(newFactor.sid).update({ authPayload: totp.generate() })
  const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 2000)
  const expiring = await entity.challenges.create({ factorSid: newFactor.sid, expirationDate: soon })
  assert.equal(expiring.expirationDate.getTime(), soon.getTime())
  await new Promise((resolve) => setTimeout(resolve, 3200))
  assert.equal((await entity.challenges(expiring.sid).fetch()).status, 'expired')
  await assert.rejects(
    entity.challenges(expiring.sid).update({ authPayload: totp.generate({ timestamp: Date.now() + 30_000 }) }),
    (err) => err.status === 403 && err.code === 60323,
  )
  for (let i = 0; i < 4; i++) await entity.challenges.create({ factorSid: newFactor.sid })
  const all = await entity.challenges.list({ pageSize: 2 })
  assert.equal(all.length, 5)
  assert.equal(new Set(all.map((ch) => ch.sid)).size, 5)
  const expired = await entity.challenges.list({ status: 'expired' })
  assert.deepEqual(expired.map((ch) => ch.sid), [expiring.sid])
})

test('wrong credentials and unknown resources', async () => {
  await assert.rejects(client('wrong-token-0000000000').verify.v2.services.create({ friendlyName: 'Acme' }), (err) => {
    assert.equal(err.status, 401)
    assert.equal(err.code, 20003)
    return true
  })
  await assert.rejects(client().verify.v2.services('VA' + '0'.repeat(32)).fetch(), (err) => err.status === 404 && err.code === 20404)
})
