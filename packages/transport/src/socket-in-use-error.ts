/**
 * Thrown by `listenOnSocket` when a live process already answers on the
 * socket path. The existing socket is left untouched.
 */
export class SocketInUseError extends Error {
  override name = "SocketInUseError";

  /** The socket path that is already being served. */
  readonly socketPath: string;

  /**
   * @param socketPath - the path another process is serving on.
   * @param options - `cause`: the error that revealed the listener, if any.
   */
  constructor(socketPath: string, options?: ErrorOptions) {
    super(`another process is already serving on ${socketPath}`, options);
    this.socketPath = socketPath;
  }
}
