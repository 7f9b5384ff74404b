import { createHash } from "node:crypto";
import pg from "pg";
import { DuplicateKeyError } from "../store-errors.js";

/** SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = "23505";
/** The type oid of `bigint` (int8). */
const INT8_OID = 20;

/**
 * Type parsers of every connection: `bigint` columns (sequences, epoch
 * milliseconds, counts) are read as numbers; they stay far below 2^53.
 */
export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** Anything that runs queries: the read pool, or the write connection inside a transaction. */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.ClientBase, "query">;

const names = new Map<string, string>();

/** The name of the prepared statement of `text`: the same text always gets the same name. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `baaaht_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Maps a unique violation to {@link DuplicateKeyError}; other errors pass unchanged. */
export function mapError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION) {
    return new DuplicateKeyError(error.detail ?? error.message, { cause: error });
  }
  return error;
}

/** Normalizes a JavaScript byte array for `bytea` parameters. */
export function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Runs SQL as named prepared statements: each distinct text is parsed once
 * per connection and executed by name afterwards. Unique violations become
 * {@link DuplicateKeyError}.
 */
export class Db {
  readonly #target: Queryable;

  constructor(target: Queryable) {
    this.#target = target;
  }

  /** The rows `text` returns. */
  async rows<R extends object>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    return (await this.#query<R>(text, values)).rows;
  }

  /** The first row `text` returns, or undefined. */
  async one<R extends object>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.#query<R>(text, values)).rows[0];
  }

  /** Runs `text`; returns how many rows it changed. */
  async run(text: string, values: readonly unknown[] = []): Promise<number> {
    return (await this.#query(text, values)).rowCount ?? 0;
  }

  async #query<R extends object>(text: string, values: readonly unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await (this.#target as pg.Pool).query<R>({ name: statementName(text), text, values: values as unknown[] });
    } catch (error) {
      throw mapError(error);
    }
  }
}
