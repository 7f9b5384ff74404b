import type { DescMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { checkBounds } from "./bounds.js";

async function* checkEach<T extends object>(schema: DescMessage, messages: AsyncIterable<T>): AsyncIterable<T> {
  for await (const message of messages) {
    checkBounds(schema, message);
    yield message;
  }
}

/**
 * Checks every request message against the bounds of its fields
 * ({@link checkBounds}) before a handler sees it: a unary request before the
 * call, each message of a request stream as it arrives (a bad one ends the
 * stream with INVALID_ARGUMENT).
 */
export function createBoundsInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      checkBounds(req.method.input, req.message);
      return next(req);
    }
    return next({ ...req, message: checkEach(req.method.input, req.message) });
  };
}
