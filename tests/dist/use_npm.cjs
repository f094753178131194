// Uses the installed npm tarball as an application would (make dist-test runs it in a fresh folder
// with `watchword` installed from the tarball, from where it is copied): the RFC 6238 vector through require() and
// import, then the Verify service on a SQLite file, opened a second time to show the records
// were stored.
//
//   node use_npm.cjs DB_PATH
'use strict'
const assert = require('node:assert/strict')
const { randomUUID } = require('node:crypto')
const { realpathSync } = require('node:fs')
const path = require('node:path')

const where = realpathSync(require.resolve('watchword'))
const installed = realpathSync(path.join(process.cwd(), 'node_modules', 'watchword'))
assert.ok(where.startsWith(installed + path.sep), `watchword resolved to ${where}, not into ${installed}`)

const { Totp, Verify, parseUri } = require('watchword')
assert.equal(new Totp(Buffer.from('12345678901234567890')).generate(59), '287082')

const store = 'sqlite:///' + path.resolve(process.argv[2])
const identity = randomUUID()
const now = 1_700_000_000
const verify = new Verify({ issuer: 'Acme', store, service: 'dist' })
const factor = verify.createFactor(identity, 'phone', { now })
const key = parseUri(factor.binding.uri)
const app = new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period })
const enrolled = verify.verifyFactor(identity, factor.sid, app.generate(now), { now })
assert.deepEqual([enrolled.status, enrolled.result], ['verified', 'approved'])

const again = new Verify({ issuer: 'Acme', store, service: 'dist' })
const login = again.createChallenge(identity, factor.sid, { authPayload: app.generate(now + 30), now: now + 30 })
assert.deepEqual([login.status, login.result], ['approved', 'approved'])

import('watchword').then(({ Totp: EsmTotp }) => {
  assert.equal(EsmTotp, Totp, 'import and require give the same class')
  console.log(`npm: watchword from ${path.dirname(where)} verifies codes and keeps factors in SQLite`)
})
