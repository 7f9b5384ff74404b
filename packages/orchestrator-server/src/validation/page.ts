import { invalidArgument } from "./fields.js";

/** The page size used when a request leaves it 0. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page size; larger requests are reduced to it. */
export const MAX_PAGE_SIZE = 500;

/**
 * The page size to use for a request's `page_size`: 0 means
 * {@link DEFAULT_PAGE_SIZE}, values above {@link MAX_PAGE_SIZE} are reduced to
 * it, negative values are INVALID_ARGUMENT.
 */
export function pageSize(value: number, field = "page_size"): number {
  if (value < 0) throw invalidArgument(field, "must not be negative");
  if (value === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(value, MAX_PAGE_SIZE);
}
