import { Code, ConnectError } from "@connectrpc/connect";
import { quoteInput } from "../errors/quote-input.js";

/**
 * The most request metadata (headers) a call may carry, counted as HTTP/2
 * counts a header list: name + value + 32 bytes per entry. More is
 * RESOURCE_EXHAUSTED.
 */
export const MAX_METADATA_BYTES = 64 * 1024;

/**
 * The header list size the HTTP/2 server accepts at all (its
 * SETTINGS_MAX_HEADER_LIST_SIZE). It is above {@link MAX_METADATA_BYTES} so
 * that a call a little over the limit is answered with a status, not a reset;
 * a larger header list is reset with ENHANCE_YOUR_CALM (gRPC clients report
 * RESOURCE_EXHAUSTED).
 */
export const HTTP2_MAX_HEADER_LIST_BYTES = 2 * MAX_METADATA_BYTES;

/**
 * The most header fields the HTTP/2 server accepts (node's default is 128):
 * as many as fit in {@link HTTP2_MAX_HEADER_LIST_BYTES} at 32 bytes each, so
 * that the size, not the count, decides, and a call with many small fields
 * gets a status.
 */
export const HTTP2_MAX_HEADER_PAIRS = HTTP2_MAX_HEADER_LIST_BYTES / 32;

/** The longest value of a protocol header that names an encoding or a timeout. */
export const MAX_PROTOCOL_HEADER_LENGTH = 64;

/** Protocol headers whose value the RPC library repeats in its errors (unknown encoding, bad timeout). */
const ECHOED_HEADERS = ["grpc-encoding", "grpc-timeout", "content-encoding", "connect-content-encoding", "connect-timeout-ms"];

/**
 * Checks the metadata of a call before anything else is read: its size
 * (RESOURCE_EXHAUSTED) and the length of the protocol headers an error would
 * repeat (INVALID_ARGUMENT naming the header).
 */
export function checkMetadata(headers: Headers): void {
  let bytes = 0;
  headers.forEach((value, name) => (bytes += name.length + value.length + 32));
  if (bytes > MAX_METADATA_BYTES) {
    throw new ConnectError(`request metadata is ${bytes} bytes; the limit is ${MAX_METADATA_BYTES}`, Code.ResourceExhausted);
  }
  for (const name of ECHOED_HEADERS) {
    const value = headers.get(name);
    if (value !== null && value.length > MAX_PROTOCOL_HEADER_LENGTH) {
      throw new ConnectError(`${name} ${quoteInput(value)} is longer than ${MAX_PROTOCOL_HEADER_LENGTH} characters`, Code.InvalidArgument);
    }
  }
}
