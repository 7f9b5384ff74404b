import type { Sandbox, SandboxExecOptions, SandboxLogsOptions } from "./sandbox-types.js";

/**
 * `sandbox` with `signal` added to every call: what a handler gets from
 * `ctx.sandbox()`, so that aborting `ctx.signal` kills its commands and ends
 * its log streams (besides the call's own `signal`).
 */
export function bindSandbox(sandbox: Sandbox, signal: AbortSignal): Sandbox {
  const withSignal = <O extends SandboxExecOptions | SandboxLogsOptions>(options: O | undefined): O =>
    ({ ...options, signal: options?.signal === undefined ? signal : AbortSignal.any([signal, options.signal]) }) as O;
  return {
    id: sandbox.id,
    sessionId: sandbox.sessionId,
    image: sandbox.image,
    exec: (command, options) => sandbox.exec(command, withSignal(options)),
    logs: (options) => sandbox.logs(withSignal(options)),
  };
}
