// A store object kept in a Map, as the tests' host store: what a SQL table of the application
// would hold, one row per (service, kind, key). `{ async: true }` answers every method with a
// Promise that settles on a later turn of the event loop (`await null`), so concurrent
// operations interleave between their steps; the commit itself stays one synchronous section,
// all or nothing.

export class MapStore {
  constructor({ async = false } = {}) {
    this.async = async
    this.rows = new Map()
  }

  static id(service, kind, key) {
    return JSON.stringify([service, kind, key])
  }

  /** Every row, in a stable order, to compare the store before and after. */
  snapshot() {
    return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  answer(value) {
    if (!this.async) return value
    return (async () => {
      await null
      return value
    })()
  }

  listing(service, identity, kind, after, limit) {
    const found = []
    for (const [id, row] of this.rows) {
      const [s, k, key] = JSON.parse(id)
      if (s !== service || k !== kind || (identity !== null && row.identity !== identity)) continue
      if (after !== null && (row.created < after.created || (row.created === after.created && key <= after.key))) continue
      found.push({ created: row.created, key, text: row.text })
    }
    found.sort((a, b) => a.created - b.created || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    return found.slice(0, limit).map((r) => r.text)
  }

  get(service, kind, key) {
    const row = this.rows.get(MapStore.id(service, kind, key))
    return this.answer(row ? row.text : null)
  }

  list(service, identity, kind, after, limit) {
    return this.answer(this.listing(service, identity, kind, after, limit))
  }

  scan(service, kind, after, limit) {
    return this.answer(this.listing(service, null, kind, after, limit))
  }

  commit(writes) {
    if (!this.async) return this.apply(writes)
    return (async () => {
      await null
      return this.apply(writes)
    })()
  }

  apply(writes) {
    const id = (w) => MapStore.id(w.service, w.kind, w.key)
    if (!writes.every((w) => (this.rows.get(id(w))?.version ?? 0) === w.expectedVersion)) return false
    for (const w of writes) {
      if (w.record === null) this.rows.delete(id(w))
      else this.rows.set(id(w), { identity: w.identity, created: w.created, version: w.version, text: w.record })
    }
    return true
  }
}
