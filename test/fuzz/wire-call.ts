import type { OutgoingHttpHeaders } from "node:http2";
import fc from "fast-check";
import {
  connectHeaders,
  connectSocket,
  connectStreamOutcome,
  connectUnaryOutcome,
  envelope,
  grpcHeaders,
  grpcOutcome,
  rawRequest,
  type CodeName,
  type Outcome,
} from "../support/grpc-wire.js";
import type { Rpc, TokenKind } from "./rpc-catalog.js";

// One fuzz input sent as one HTTP/2 request, and the verdict on what came
// back. Every fuzz property builds WireCalls; this file decides what counts as
// a failure, so all properties judge answers the same way.

/** The wire protocols the orchestrator serves (gRPC with either codec, Connect with either codec). */
export type Protocol = "grpc" | "grpc+json" | "connect+proto" | "connect+json";

export interface WireCall {
  readonly rpc: Rpc;
  readonly token: TokenKind;
  readonly protocol: Protocol;
  /** The request body: envelopes already framed (gRPC, Connect streaming) or the raw message (Connect unary). */
  readonly body: readonly Uint8Array[];
  /** Headers that replace or add to the protocol's defaults. */
  readonly headers?: OutgoingHttpHeaders;
  /** What the input is, for failure reports. */
  readonly what: string;
  /**
   * Codes that may answer this input without a token instead of
   * UNAUTHENTICATED: protocol-level refusals that come before any call is
   * made (an expired deadline, a malformed protocol header, oversize metadata).
   */
  readonly beforeAuth?: readonly CodeName[];
  /** An extra expectation of this input; returns the problem, if any. */
  readonly check?: (outcome: Outcome) => string | undefined;
}

/** The server-side deadline of a streaming call: long-lived streams end by themselves. */
export const STREAM_DEADLINE_MS = 300;
/** How long a client waits past the server-side deadline before it calls the call hung. */
const CLIENT_SLACK_MS = 10_000;

function isConnectUnary(call: WireCall): boolean {
  return call.protocol.startsWith("connect") && call.rpc.kind === "unary";
}

function deadlineMs(rpc: Rpc): number {
  return rpc.streamsIn || rpc.streamsOut ? STREAM_DEADLINE_MS : 10_000;
}

/** Frames message payloads as the call's protocol wants them (the Connect unary body is the bare message). */
export function frame(rpc: Rpc, protocol: Protocol, payloads: readonly Uint8Array[]): Uint8Array[] {
  if (protocol.startsWith("connect") && rpc.kind === "unary") return [...payloads];
  return payloads.map((p) => envelope(p));
}

function headersOf(call: WireCall, tokenValue: string | undefined): OutgoingHttpHeaders {
  const deadline = deadlineMs(call.rpc);
  const base =
    call.protocol === "grpc" || call.protocol === "grpc+json"
      ? grpcHeaders(tokenValue, {
          "content-type": call.protocol === "grpc" ? "application/grpc+proto" : "application/grpc+json",
          "grpc-timeout": `${deadline}m`,
        })
      : connectHeaders(isConnectUnary(call) ? "unary" : "stream", call.protocol === "connect+json" ? "json" : "proto", tokenValue, {
          "connect-timeout-ms": String(deadline),
        });
  return { ...base, ...call.headers };
}

/** Sends a call on a connection of its own and reads the outcome. */
export async function send(socketPath: string, call: WireCall, tokenValue: string | undefined): Promise<Outcome> {
  const session = connectSocket(socketPath);
  try {
    const raw = await rawRequest(session, {
      path: call.rpc.path,
      headers: headersOf(call, tokenValue),
      body: call.body,
      deadlineMs: deadlineMs(call.rpc) + CLIENT_SLACK_MS,
    });
    if (call.protocol === "grpc" || call.protocol === "grpc+json") return grpcOutcome(raw);
    return isConnectUnary(call) ? connectUnaryOutcome(raw) : connectStreamOutcome(raw);
  } finally {
    session.destroy();
  }
}

/** A UTF-16 surrogate without its other half: not text, in any encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with an outcome, or undefined. The same rules for every fuzz input. */
export function problemOf(call: WireCall, outcome: Outcome): string | undefined {
  if (outcome.code === undefined) {
    switch (outcome.without) {
      case "open":
        return `still open ${CLIENT_SLACK_MS} ms past its deadline: ${outcome.text}`;
      case "reset":
        return `the stream was reset instead of answered: ${outcome.text}`;
      case "connection":
        return `the connection failed: ${outcome.text}`;
      default:
        return `ended without a status: ${outcome.text}`;
    }
  }
  if (outcome.code === "INTERNAL" || outcome.code === "UNKNOWN") return `answered ${outcome.text}`;
  if (outcome.message !== undefined && LONE_SURROGATE.test(outcome.message)) {
    return `answered ${outcome.text}: the message holds half a surrogate pair, which strict JSON and UTF-8 decoders refuse`;
  }
  if (call.token === "none" && !call.rpc.public && outcome.code !== "UNAUTHENTICATED" && !call.beforeAuth?.includes(outcome.code)) {
    return `answered ${outcome.text} to a call without a token (expected UNAUTHENTICATED)`;
  }
  return call.check?.(outcome);
}

/** A short printable form of bytes: size and leading hex. */
export function bytesSummary(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 24)).toString("hex");
  return `${bytes.length} B ${head}${bytes.length > 24 ? "…" : ""}`;
}

/** A value that fast-check prints with a short description (fuzz inputs can be megabytes). */
export function labelled<T extends object>(value: T, label: string): T {
  return Object.assign(value, { [fc.toStringMethod]: () => label });
}
