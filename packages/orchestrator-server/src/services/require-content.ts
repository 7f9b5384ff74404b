import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Checks chat message content: INVALID_ARGUMENT naming the field when it is
 * empty, RESOURCE_EXHAUSTED (a size limit) when it is larger than `maxBytes`
 * in UTF-8.
 */
export function requireContent(content: string, field: string, maxBytes: number): void {
  if (content.trim() === "") throw new ConnectError(`${field} must not be empty`, Code.InvalidArgument);
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > maxBytes) {
    throw new ConnectError(`${field} is ${bytes} bytes; the limit is ${maxBytes}`, Code.ResourceExhausted);
  }
}
