import { Code, ConnectError } from "@connectrpc/connect";

const PREFIX = "p1:";

/** One page request: how many rows, and where the previous page stopped. */
export interface PageRequest {
  /** The largest number of rows to return (already bounded by the caller). */
  pageSize: number;
  /** The `nextPageToken` of the previous page; empty or absent for the first page. */
  pageToken?: string;
}

/** One page of results. */
export interface Page<T> {
  /** The rows of this page, oldest first. */
  items: T[];
  /** How many rows match the filter across all pages. */
  totalCount: number;
  /** The token of the next page; empty on the last page. */
  nextPageToken: string;
}

/** The opaque token of the page that starts after the row with this sequence number. */
export function encodePageToken(afterSeq: number): string {
  return Buffer.from(`${PREFIX}${afterSeq}`, "utf8").toString("base64url");
}

/**
 * The sequence number a page token continues after: 0 for an empty token.
 * A malformed token is INVALID_ARGUMENT naming `page_token`.
 */
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const malformed = () => new ConnectError("page_token is malformed: pass the next_page_token of a previous response", Code.InvalidArgument);
  if (token.length > 64 || !/^[A-Za-z0-9_-]+$/.test(token)) throw malformed();
  const text = Buffer.from(token, "base64url").toString("utf8");
  if (!text.startsWith(PREFIX)) throw malformed();
  const digits = text.slice(PREFIX.length);
  if (!/^[1-9][0-9]{0,15}$/.test(digits)) throw malformed();
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) throw malformed();
  return seq;
}
