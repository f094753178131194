// examples/quickstart.mjs, run as a user would run it: `import … from 'watchword'` resolved from
// a node_modules folder next to it (here a link to this package).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_DIR, ROOT } from './helpers.mjs'

test('examples/quickstart.mjs runs the whole flow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchword-quickstart-'))
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(PACKAGE_DIR, join(dir, 'node_modules', 'watchword'), 'dir')
    copyFileSync(join(ROOT, 'examples', 'quickstart.mjs'), join(dir, 'quickstart.mjs'))
    const out = execFileSync(process.execPath, ['quickstart.mjs'], { cwd: dir, encoding: 'utf8' })
    assert.match(out, /^factor YF[0-9a-f]{32} for [0-9a-f-]{36}: unverified$/m)
    assert.match(out, /^scan this in an authenticator app: otpauth:\/\/totp\/Acme%20Bank:[^?]+\?secret=[A-Z2-7]{32}&issuer=Acme%20Bank&algorithm=SHA1&digits=6&period=30$/m)
    assert.match(out, /^the app shows \d{6}$/m)
    assert.match(out, /^verifyFactor: result=approved, status=verified$/m)
    assert.match(out, /^challenge with \d{6}: result=approved, status=approved$/m)
    assert.match(out, /^the same code again: result=replayed, status=pending$/m)
    assert.match(out, /^late answer: challenge_expired \(Twilio 60323, HTTP 403\): the challenge expired/m)
    assert.match(out, /^the challenge now reads as expired$/m)
    assert.match(out, /^restored factor YF[0-9a-f]{32}: verified, \d+ bytes of record$/m)
    assert.match(out, /^after the move: old code replayed, fresh code approved$/m)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
