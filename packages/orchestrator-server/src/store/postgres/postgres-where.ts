import { decodePageToken, encodePageToken, type Page, type PageRequest } from "../page-token.js";
import type { Db } from "./postgres-db.js";

/** A WHERE clause under construction: conditions joined by AND, with numbered parameters ($1, $2, ...). */
export class Where {
  readonly #conditions: string[] = [];
  readonly #params: unknown[] = [];

  /** Adds `condition`, whose `?` marks are replaced by the numbered placeholders of `params`, in order. */
  add(condition: string, ...params: unknown[]): this {
    let i = 0;
    this.#conditions.push(
      condition.replace(/\?/g, () => {
        if (i >= params.length) throw new Error(`more placeholders than parameters in: ${condition}`);
        return this.param(params[i++]);
      }),
    );
    return this;
  }

  /** Adds the condition only when `value` is defined. */
  addIf<T>(value: T | undefined, condition: string): this {
    return value === undefined ? this : this.add(condition, value);
  }

  /** The row's jsonb `column` must hold every label with its value (no condition for no labels). */
  addLabels(column: string, labels: Readonly<Record<string, string>> | undefined): this {
    if (!labels || Object.keys(labels).length === 0) return this;
    return this.add(`${column} @> ?::jsonb`, JSON.stringify(labels));
  }

  /** Binds one more parameter and returns its placeholder. */
  param(value: unknown): string {
    this.#params.push(value);
    return `$${this.#params.length}`;
  }

  /** `WHERE ...`, or "" when there is no condition. */
  get sql(): string {
    return this.#conditions.length === 0 ? "" : `WHERE ${this.#conditions.join(" AND ")}`;
  }

  /** The parameters, in placeholder order. */
  get params(): unknown[] {
    return [...this.#params];
  }
}

/** A row of a table paged by its `created_seq` column. */
interface PagedRow {
  total: number;
  created_seq: number | null;
}

/**
 * One page of `table` rows matching `where`, in insertion order, with the
 * total count of matching rows, read in one statement (one snapshot). Stable
 * under concurrent inserts: a page token names the last row returned, so
 * later pages never repeat or skip a row.
 */
export async function paginate<R extends object, T>(
  db: Db,
  table: string,
  columns: string,
  where: Where,
  page: PageRequest,
  decode: (row: R) => T,
): Promise<Page<T>> {
  const after = decodePageToken(page.pageToken);
  const size = Math.max(1, Math.floor(page.pageSize));
  const count = where.sql;
  const cursor = where.param(after);
  const limit = where.param(size + 1);
  const rows = await db.rows<PagedRow & R>(
    `SELECT c.total, p.* FROM (SELECT count(*) AS total FROM ${table} ${count}) c
     LEFT JOIN LATERAL (
       SELECT created_seq, ${columns} FROM ${table} ${count ? `${count} AND` : "WHERE"} created_seq > ${cursor}
       ORDER BY created_seq LIMIT ${limit}
     ) p ON true`,
    where.params,
  );
  const found = rows.filter((row) => row.created_seq !== null);
  const more = found.length > size;
  const kept = more ? found.slice(0, size) : found;
  const last = kept.at(-1);
  return {
    items: kept.map(decode),
    totalCount: rows[0]?.total ?? 0,
    nextPageToken: more && last?.created_seq ? encodePageToken(last.created_seq) : "",
  };
}
