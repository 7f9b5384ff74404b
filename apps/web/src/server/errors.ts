import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayError } from "@baaaht/gateway-sdk";

/** Any failure as the ConnectError the browser gets: SDK errors keep their code and message. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof GatewayError) return new ConnectError(err.message, err.code, undefined, undefined, err);
  return ConnectError.from(err, Code.Internal);
}

/** INVALID_ARGUMENT naming the field, when `value` is empty. */
export function requireField(value: string, field: string): string {
  if (value.trim() === "") throw new ConnectError(`${field} is required`, Code.InvalidArgument);
  return value;
}
