import type { Database, Statement } from "better-sqlite3";

/** Prepares each SQL text once per connection and reuses the statement. */
export class Statements {
  readonly #db: Database;
  readonly #cache = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  /** The prepared statement of `sql` on this connection. */
  get(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
