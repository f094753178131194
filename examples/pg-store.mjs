// watchword's records in your own PostgreSQL database, through node-postgres (`pg`): a store
// object for `new Verify({ issuer, store })`. Copy this file into your application and adapt
// it (table name, migrations); watchword checks everything the store answers.
//
//   import pg from 'pg'
//   import { Verify } from 'watchword'
//   import { PgStore } from './pg-store.mjs'
//
//   const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
//   const store = new PgStore(pool)
//   await store.migrate()            // or put its CREATE statements in your own migrations
//   const verify = new Verify({ issuer: 'Acme', store })
//   const factor = await verify.createFactorAsync('user-0001', 'phone')   // the …Async forms
//
// One row per record: (service, kind, key) is the primary key; `identity` and `created` (the
// record's dateCreated, Unix seconds) order the listings; `version` is what each write
// compares and sets; `data` is the record's stored JSON text, kept as it is.
//
// A commit runs in one transaction on one client checked out of the pool, as node-postgres
// requires for a transaction (a pool's `query` may run each statement on another client). Each
// write is a compare-and-set on `version`: an insert that finds the row already there, or an
// update or delete that finds another version, changes no row; then the transaction is rolled
// back and `commit` answers `false`, and watchword runs the operation again.
//
// `PgStore.inTransaction(client)` works inside a transaction the application has open on
// `client` instead (to create a user and its first factor together, say): reads and commits go
// through that client, each commit under a savepoint (a conflict undoes watchword's writes
// only), and the records are kept only when the application commits. Run one operation at a
// time on it, in READ COMMITTED (PostgreSQL's default), and keep code checks out of
// transactions that may roll back: a rolled-back approval leaves its code unused.

/** The statements that create the table and its indexes, for `migrate()` or your own migrations. */
export function schema(table = 'watchword_records') {
  checkName(table)
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      service text NOT NULL,
      kind text NOT NULL,
      key text NOT NULL,
      identity text NOT NULL,
      created bigint NOT NULL,
      version bigint NOT NULL,
      data text NOT NULL,
      PRIMARY KEY (service, kind, key)
    )`,
    `CREATE INDEX IF NOT EXISTS ${table}_by_identity ON ${table} (service, kind, identity, created, key)`,
    `CREATE INDEX IF NOT EXISTS ${table}_by_created ON ${table} (service, kind, created, key)`,
  ]
}

function checkName(table) {
  if (typeof table !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new TypeError(`the table name must match [a-z_][a-z0-9_]*, not ${JSON.stringify(table)}`)
  }
}

export class PgStore {
  /** `pool`: a `pg.Pool`; `table`: the table's name (`[a-z_][a-z0-9_]*`). */
  constructor(pool, { table = 'watchword_records' } = {}) {
    checkName(table)
    this.pool = pool
    this.table = table
  }

  /** A store over `client`, inside the transaction the application has open on it. */
  static inTransaction(client, options) {
    const store = new PgStore(client, options)
    store.transaction = client
    return store
  }

  /** Creates the table and its indexes when they are missing. */
  async migrate() {
    for (const statement of schema(this.table)) await this.pool.query(statement)
  }

  async get(service, kind, key) {
    const { rows } = await this.pool.query(`SELECT data FROM ${this.table} WHERE service = $1 AND kind = $2 AND key = $3`, [
      service,
      kind,
      key,
    ])
    return rows.length === 0 ? null : rows[0].data
  }

  /** `identity`'s records of `kind` after `after` ({ created, key } or null), `limit` of them. */
  async list(service, identity, kind, after, limit) {
    return this.listing('identity = $3', [service, kind, identity], after, limit)
  }

  /** The service's records of `kind`, as `list` answers. */
  async scan(service, kind, after, limit) {
    return this.listing('true', [service, kind], after, limit)
  }

  async listing(condition, params, after, limit) {
    let where = `service = $1 AND kind = $2 AND ${condition}`
    if (after !== null) {
      where += ` AND (created, key) > ($${params.length + 1}, $${params.length + 2})`
      params.push(after.created, after.key)
    }
    params.push(limit)
    const { rows } = await this.pool.query(
      `SELECT data FROM ${this.table} WHERE ${where} ORDER BY created, key LIMIT $${params.length}`,
      params,
    )
    return rows.map((row) => row.data)
  }

  /** Applies every write or none; `false` when a stored version differs (a conflict). */
  async commit(writes) {
    // Rows locked in one order by every commit: two commits never wait for each other in a circle.
    const ordered = [...writes].sort((a, b) => compare(a.kind, b.kind) || compare(a.key, b.key))
    if (this.transaction !== undefined) return this.commitWithin(this.transaction, ordered)
    const client = await this.pool.connect()
    let broken
    try {
      await client.query('BEGIN')
      if (!(await this.applyAll(client, ordered))) {
        await client.query('ROLLBACK')
        return false
      }
      await client.query('COMMIT')
      return true
    } catch (error) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        broken = rollbackError // the connection is unusable: the pool drops it
      }
      throw error
    } finally {
      client.release(broken)
    }
  }

  /** The writes in the application's transaction, under a savepoint. */
  async commitWithin(client, ordered) {
    await client.query('SAVEPOINT watchword_commit')
    try {
      const applied = await this.applyAll(client, ordered)
      await client.query(applied ? 'RELEASE SAVEPOINT watchword_commit' : 'ROLLBACK TO SAVEPOINT watchword_commit')
      return applied
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT watchword_commit').catch(() => {})
      throw error
    }
  }

  /** Applies the writes in order until one finds another version: whether all were applied. */
  async applyAll(client, ordered) {
    for (const write of ordered) {
      if ((await this.apply(client, write)) !== 1) return false
    }
    return true
  }

  /** One compare-and-set: how many rows it changed (1, or 0 when the version differs). */
  async apply(client, w) {
    const t = this.table
    let result
    if (w.record === null) {
      result = await client.query(`DELETE FROM ${t} WHERE service = $1 AND kind = $2 AND key = $3 AND version = $4`, [
        w.service,
        w.kind,
        w.key,
        w.expectedVersion,
      ])
    } else if (w.expectedVersion === 0) {
      result = await client.query(
        `INSERT INTO ${t} (service, kind, key, identity, created, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (service, kind, key) DO NOTHING`,
        [w.service, w.kind, w.key, w.identity, w.created, w.version, w.record],
      )
    } else {
      result = await client.query(
        `UPDATE ${t} SET identity = $4, created = $5, version = $6, data = $7
         WHERE service = $1 AND kind = $2 AND key = $3 AND version = $8`,
        [w.service, w.kind, w.key, w.identity, w.created, w.version, w.record, w.expectedVersion],
      )
    }
    return result.rowCount
  }
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0
}
