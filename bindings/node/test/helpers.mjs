// Shared helpers of the Node test suite: the package under test, the shared vectors, and the
// conversions between the service's snake_case JSON and the package's camelCase objects.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
export const PACKAGE_DIR = join(here, '..')
export const ROOT = join(PACKAGE_DIR, '..', '..')
export const VECTORS = join(ROOT, 'tests', 'vectors')

export const ww = createRequire(import.meta.url)('..')

export function vectors(name) {
  return JSON.parse(readFileSync(join(VECTORS, name), 'utf8'))
}

export function scenarioFiles() {
  const dir = join(VECTORS, 'scenarios')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, scenario: JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
}

export const hex = (h) => Buffer.from(h, 'hex')

/** `friendly_name` → `friendlyName`. */
export const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** `friendlyName` → `friendly_name`. */
export const snake = (s) => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())

/** A Date as the views' RFC 3339 text (whole seconds, UTC). */
export const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

/**
 * A package answer in the service's JSON form: snake_case keys (except inside the caller's
 * own `metadata`/`hidden_details` maps), RFC 3339 dates, `null` for `undefined`.
 */
export function toServiceJson(value, verbatim = false) {
  if (value === undefined || value === null) return null
  if (value instanceof Date) return rfc3339(value)
  if (Array.isArray(value)) return value.map((v) => toServiceJson(v, verbatim))
  if (typeof value === 'object') {
    const out = {}
    for (const [k, v] of Object.entries(value)) {
      const key = verbatim ? k : snake(k)
      out[key] = toServiceJson(v, verbatim || key === 'metadata' || key === 'hidden_details')
    }
    return out
  }
  return value
}

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export function thrown(fn) {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected an exception, none was thrown')
}
