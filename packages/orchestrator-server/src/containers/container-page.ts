import { Code, ConnectError } from "@connectrpc/connect";
import type { ContainerSummary } from "./container-runtime.js";

const PREFIX = "c1:";

/** Where a page of containers (ordered by creation time, then id) stops. */
interface PagePosition {
  createdSec: number;
  id: string;
}

/** The opaque token of the page that starts after this container. */
export function encodeContainerPageToken(after: PagePosition): string {
  return Buffer.from(`${PREFIX}${after.createdSec}:${after.id}`, "utf8").toString("base64url");
}

/** Where a page token continues; undefined for an empty token. INVALID_ARGUMENT naming page_token when malformed. */
export function decodeContainerPageToken(token: string): PagePosition | undefined {
  if (token === "") return undefined;
  const malformed = () => new ConnectError("page_token is malformed: pass the next_page_token of a previous response", Code.InvalidArgument);
  if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw malformed();
  const match = /^c1:(\d{1,15}):([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match?.[1] || !match[2]) throw malformed();
  return { createdSec: Number(match[1]), id: match[2] };
}

/** Oldest first, ties by id: the order pages follow. */
function compare(a: PagePosition, b: PagePosition): number {
  return a.createdSec - b.createdSec || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * One page of containers, oldest first: those after the token's position
 * (a container removed meanwhile neither shifts nor repeats a later page),
 * the count of all, and the next token (empty on the last page).
 */
export function pageOfContainers(
  all: readonly ContainerSummary[],
  pageSize: number,
  pageToken: string,
): { items: ContainerSummary[]; totalCount: number; nextPageToken: string } {
  const after = decodeContainerPageToken(pageToken);
  const sorted = [...all].sort(compare);
  const rest = after ? sorted.filter((c) => compare(c, after) > 0) : sorted;
  const items = rest.slice(0, pageSize);
  const last = items.at(-1);
  return {
    items,
    totalCount: all.length,
    nextPageToken: rest.length > pageSize && last ? encodeContainerPageToken(last) : "",
  };
}
