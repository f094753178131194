// Sealed records through the Node API: secretKeys / activeSecretKey / acceptPlaintextRecords,
// reseal (sync and Promise), generateSecretKey.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { ww } from './helpers.mjs'

const { Verify, Totp, generateSecretKey } = ww
const T = 1_700_000_010
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const ID = 'user-0001-sealed'
const code = (at) => new Totp(SECRET).generate(at)

test('generateSecretKey gives 32 fresh bytes', () => {
  const key = generateSecretKey()
  assert.ok(Buffer.isBuffer(key) && key.length === 32)
  assert.ok(!key.equals(generateSecretKey()))
})

test('a SQLite file of sealed records holds no secret; keys rotate with reseal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-sealed-'))
  const store = `sqlite:///${join(dir, 'sealed.db')}`
  const k1 = generateSecretKey()
  const k2 = new Uint8Array(generateSecretKey())
  const old = new Verify({ issuer: 'Acme', store, secretKeys: { k1 }, activeSecretKey: 'k1' })
  const factor = old.createFactor(ID, 'Ada-sealed-phone', { secret: SECRET, metadata: { os: 'Plan9-meta' }, now: T })
  assert.equal(old.verifyFactor(ID, factor.sid, code(T), { now: T }).result, 'approved')
  const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n')
  for (const hidden of [SECRET, 'Ada-sealed-phone', 'Plan9-meta', 'last_used_step']) {
    assert.ok(!files.includes(hidden), hidden)
  }
  assert.ok(files.includes('"kid":"k1"'))
  assert.ok(!old.exportFactor(factor.sid).includes(SECRET))
  const both = new Verify({ issuer: 'Acme', store, secretKeys: { k1, k2 }, activeSecretKey: 'k2' })
  assert.equal(both.fetchFactor(ID, factor.sid).friendlyName, 'Ada-sealed-phone')
  assert.equal(await both.resealAsync(), 2)
  assert.equal(both.reseal(), 0)
  const only = new Verify({ issuer: 'Acme', store, secretKeys: { k2 }, activeSecretKey: 'k2' })
  assert.deepEqual(only.fetchFactor(ID, factor.sid).metadata, { os: 'Plan9-meta' })
  assert.throws(() => old.fetchFactor(ID, factor.sid), (e) => e.code === 'storage' && /"k2", which is not in the key ring/.test(e.message))
})

test('plain records are refused without acceptPlaintextRecords and migrate with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-plain-'))
  const store = `sqlite:///${join(dir, 'plain.db')}`
  const plain = new Verify({ issuer: 'Acme', store })
  const factor = plain.createFactor(ID, 'phone', { secret: SECRET, now: T })
  const secretKeys = { k1: generateSecretKey() }
  const strict = new Verify({ issuer: 'Acme', store, secretKeys, activeSecretKey: 'k1' })
  assert.throws(() => strict.fetchFactor(ID, factor.sid), (e) => e.code === 'storage' && /is not sealed/.test(e.message))
  const migrating = new Verify({ issuer: 'Acme', store, secretKeys, activeSecretKey: 'k1', acceptPlaintextRecords: true })
  assert.equal(migrating.reseal(), 2)
  assert.equal(strict.fetchFactor(ID, factor.sid).status, 'unverified')
})

test('bad key rings are refused', () => {
  assert.throws(() => new Verify({ issuer: 'Acme', secretKeys: { k1: new Uint8Array(16) }, activeSecretKey: 'k1' }), (e) => e.code === 'invalid_parameter')
  assert.throws(() => new Verify({ issuer: 'Acme', secretKeys: { k1: new Uint8Array(32) } }), (e) => e.code === 'invalid_parameter')
  assert.throws(() => new Verify({ issuer: 'Acme', secretKeys: { k1: 'AAAA' }, activeSecretKey: 'k1' }), TypeError)
  assert.throws(() => new Verify({ issuer: 'Acme', acceptPlaintextRecords: 'yes' }), TypeError)
})
