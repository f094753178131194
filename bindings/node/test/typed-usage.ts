// Type-checked with `tsc --strict --noEmit` (make test): the API as a TypeScript user writes it.
// Lines marked @ts-expect-error must stay errors, so the types are not looser than the API.
import {
  Totp,
  Hotp,
  Verify,
  WatchwordError,
  generateSecret,
  base32Encode,
  base32Decode,
  parseUri,
  buildUri,
  qrTerminal,
  errorKinds,
  type ErrorCode,
  type Store,
  type StoreCursor,
  type StoreWrite,
  type FactorInstance,
  type ChallengeInstance,
  type EntityInstance,
  type Page,
  type KeyUriFields,
  type VerificationResult,
  type TotpCheck,
} from 'watchword'

const secret: Buffer = generateSecret('sha256')
const text: string = base32Encode(secret)
const bytes: Buffer = base32Decode(text)

const totp = new Totp(bytes, { algorithm: 'sha256', digits: 8, period: 30 })
const code: string = totp.generate()
const at: string = totp.generate(new Date())
const offset: number | null = totp.verify(code, { unixTime: 1_700_000_000, skew: 1 })
const checked: TotpCheck = totp.check(at, { lastUsedStep: null })
const result: VerificationResult = checked.result
const hotp = new Hotp(text)
const hotpCode: string = hotp.generate(1n)
const matched: number | bigint | null = hotp.verify(hotpCode, 0, { lookAhead: 5 })

const key: KeyUriFields = parseUri(buildUri({ issuer: 'Acme', account: 'ada@example.com', secret }))
const fromUri = new Totp(key.secret, { algorithm: key.algorithm, digits: key.digits, period: key.period })

const verify = new Verify({ issuer: 'Acme', challengeExpiration: 120, skew: 1 })
const factor = verify.createFactor('f47ac10b-58cc-4372-a567-0e02b2c3d479', 'phone', { metadata: { os: 'ios' } })
const uri: string = factor.binding.uri
const onLight: string = factor.binding.qrTerminal({ background: 'light' }) + qrTerminal(uri, { background: 'dark' })
// @ts-expect-error a terminal background is 'dark' or 'light'
factor.binding.qrTerminal({ background: 'white' })
const created: Date = factor.dateCreated
const verified: FactorInstance = verify.verifyFactor(factor.identity, factor.sid, fromUri.generate())
const verifiedResult: VerificationResult = verified.result ?? 'invalid_code'
const challenge: ChallengeInstance = verify.createChallenge(factor.identity, factor.sid, {
  details: { message: 'Login', fields: [{ label: 'IP', value: '192.0.2.7' }] },
  expirationDate: new Date(Date.now() + 60_000),
})
const answered = verify.updateChallenge(factor.identity, challenge.sid, '123456', { now: new Date() })
const answeredResult: VerificationResult = answered.result
const record: string = verify.exportFactor(factor.sid)
const imported: FactorInstance = new Verify({ issuer: 'Acme' }).importFactor(record)
const removed: number = verify.sweep()
const pending: ChallengeInstance[] = verify.listChallenges(factor.identity, { status: 'pending', order: 'desc' })
const firstPage: Page<ChallengeInstance> = verify.listChallenges(factor.identity, { limit: 10 })
const nextToken: string | null = firstPage.nextPageToken
const entities: Page<EntityInstance> = verify.listEntities({ limit: 2, pageToken: nextToken ?? undefined })

// The Promise forms, and a service over a database opened without blocking the event loop.
async function promises(): Promise<void> {
  const shared: Verify = await Verify.open({ issuer: 'Acme', store: 'sqlite:///watchword.db', service: 'shop' })
  const namespace: string = shared.service
  const created = await shared.createFactorAsync('f47ac10b-58cc-4372-a567-0e02b2c3d479', 'phone')
  const secret: string = created.binding.secret
  const login = await shared.createChallengeAsync(created.identity, created.sid, { authPayload: '123456' })
  const outcome: VerificationResult | undefined = login.result
  const page: Page<FactorInstance> = await shared.listFactorsAsync(created.identity, { limit: 5 })
  const gone: void = await shared.deleteFactorAsync(created.identity, created.sid)
  const count: number = await shared.sweepAsync()
  console.log(namespace, secret, outcome, page.nextPageToken, gone, count)
}

try {
  verify.fetchEntity('nobody-at-all')
} catch (err) {
  if (err instanceof WatchwordError) {
    const kind: ErrorCode = err.code
    const twilio: number | null = err.twilioCode
    const status: number = err.httpStatus
    const okta: string | null = err.oktaCode
    console.log(kind, twilio, status, okta, err.detail, err.message)
  }
}
const kinds: ErrorCode[] = errorKinds().map((k) => k.code)

// @ts-expect-error codes are strings, never numbers
totp.verify(123456)
// @ts-expect-error unknown algorithm name
new Totp(secret, { algorithm: 'md5' })
// @ts-expect-error a misspelt option
totp.verify(code, { unixtime: 5 })
// @ts-expect-error the issuer is required
new Verify({})
// @ts-expect-error the store is a URL string or a store object
new Verify({ issuer: 'Acme', store: 5 })

// A store object of the application's own: plain values or Promises.
const rows = new Map<string, string>()
const ownStore: Store = {
  get: (service: string, kind: string, key: string) => rows.get(`${service}/${kind}/${key}`) ?? null,
  list: async (_service: string, _identity: string, _kind: string, after: StoreCursor | null, limit: number) =>
    after === null ? [...rows.values()].slice(0, limit) : [],
  scan: () => [],
  commit: async (writes: StoreWrite[]) => {
    for (const w of writes) {
      const id = `${w.service}/${w.kind}/${w.key}`
      if (w.record === null) rows.delete(id)
      else rows.set(id, w.record)
    }
    return true
  },
}
const own = new Verify({ issuer: 'Acme', store: ownStore })
const ownFactor: Promise<FactorInstance> = own.fetchFactorAsync('user-0001', 'YF00000000000000000000000000000000')
// @ts-expect-error a commit answers true or false
new Verify({ issuer: 'Acme', store: { ...ownStore, commit: () => 'yes' } })
// @ts-expect-error a page's token is read-only
firstPage.nextPageToken = 'x'
// @ts-expect-error not a setting
new Verify({ issuer: 'Acme', skw: 1 })
// @ts-expect-error a factor's creation answer has a binding, a fetched one does not
const leaked: string = verify.fetchFactor(factor.identity, factor.sid).binding.secret

// Recovery codes: shown once in the creation answer, counted in the config.
const backup = verify.createFactor('f47ac10b-58cc-4372-a567-0e02b2c3d479', 'backup', { factorType: 'recovery_codes', count: 10 })
const codes: string[] = backup.binding.codes ?? []
const remaining: number | undefined = verify.fetchFactor(backup.identity, backup.sid).config.remaining
const regenerated = verify.updateFactor(backup.identity, backup.sid, { regenerate: true })
// @ts-expect-error not a factor type
verify.createFactor('f47ac10b-58cc-4372-a567-0e02b2c3d479', 'x', { factorType: 'sms' })

export const used = [code, at, offset, result, matched, uri, created, verifiedResult, answeredResult, imported, removed, pending, kinds, leaked, entities, promises, ownFactor, codes, remaining, regenerated]
