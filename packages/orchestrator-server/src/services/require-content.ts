import { Code, ConnectError } from "@connectrpc/connect";

/** Throws INVALID_ARGUMENT naming the field when message content is empty or larger than `maxBytes` (UTF-8). */
export function requireContent(content: string, field: string, maxBytes: number): void {
  if (content.trim() === "") throw new ConnectError(`${field} must not be empty`, Code.InvalidArgument);
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > maxBytes) {
    throw new ConnectError(`${field} is ${bytes} bytes; the limit is ${maxBytes}`, Code.InvalidArgument);
  }
}
