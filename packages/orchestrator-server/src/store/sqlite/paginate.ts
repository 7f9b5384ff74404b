import { decodePageToken, encodePageToken, type Page, type PageRequest } from "../page-token.js";
import type { SqlFilter } from "./sql-filter.js";
import type { Statements } from "./statements.js";

/** A row of a table paged by its `created_seq` column. */
export interface SequencedRow {
  created_seq: number;
}

/**
 * One page of `table` rows matching `filter`, in insertion order, with the
 * total count of matching rows. Stable under concurrent inserts: a page token
 * names the last row returned, so later pages never repeat or skip a row.
 */
export function paginate<R extends SequencedRow, T>(
  statements: Statements,
  table: string,
  filter: SqlFilter,
  page: PageRequest,
  decode: (row: R) => T,
): Page<T> {
  const after = decodePageToken(page.pageToken);
  const size = Math.max(1, Math.floor(page.pageSize));
  const { n } = statements.get(`SELECT COUNT(*) AS n FROM ${table} ${filter.where}`).get(...filter.params) as { n: number };
  const where = filter.where ? `${filter.where} AND created_seq > ?` : "WHERE created_seq > ?";
  const rows = statements
    .get(`SELECT * FROM ${table} ${where} ORDER BY created_seq LIMIT ?`)
    .all(...filter.params, after, size + 1) as R[];
  const more = rows.length > size;
  const kept = more ? rows.slice(0, size) : rows;
  const last = kept.at(-1);
  return {
    items: kept.map(decode),
    totalCount: n,
    nextPageToken: more && last ? encodePageToken(last.created_seq) : "",
  };
}
