/** The most characters of one piece of client input an error message repeats. */
export const MAX_QUOTED_CHARS = 64;

/**
 * Client input (an id, a header value, a map key) as an error message may
 * show it: JSON-quoted, so control characters are escaped, and cut to its
 * first {@link MAX_QUOTED_CHARS} characters (never inside a surrogate pair)
 * with its length noted, so that a message never grows with the input.
 * Every message that repeats client input goes through here.
 */
export function quoteInput(value: string): string {
  if (value.length <= MAX_QUOTED_CHARS) return JSON.stringify(value);
  const splitsPair = /[\uD800-\uDBFF]/.test(value.charAt(MAX_QUOTED_CHARS - 1));
  const prefix = value.slice(0, splitsPair ? MAX_QUOTED_CHARS - 1 : MAX_QUOTED_CHARS);
  return `${JSON.stringify(prefix)}... (${value.length} characters)`;
}
