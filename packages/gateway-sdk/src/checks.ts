import { Code } from "@connectrpc/connect";
import { GatewayError } from "./errors.js";

/** `value` when it is a whole number >= `min`; else throws a `GatewayError` (INVALID_ARGUMENT) naming `what`. */
export function wholeNumber(value: number, what: string, min = 0): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new GatewayError(`${what} must be a whole number >= ${min}, got ${value}`, Code.InvalidArgument);
  }
  return value;
}

/** `value` when it is a finite number >= 0; else throws a `GatewayError` (INVALID_ARGUMENT) naming `what`. */
export function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new GatewayError(`${what} must be a number >= 0, got ${value}`, Code.InvalidArgument);
  }
  return value;
}
