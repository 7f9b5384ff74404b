/**
 * Counts the HTTP/2 requests the server is handling, so a graceful drain can
 * wait for them to end.
 */
export class InFlightCalls {
  #count = 0;
  #waiters: (() => void)[] = [];

  /** The number of requests being handled. */
  get count(): number {
    return this.#count;
  }

  /** Records a request that started; call the returned function once when it ends. */
  begin(): () => void {
    this.#count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#count--;
      if (this.#count === 0) this.#waiters.splice(0).forEach((wake) => wake());
    };
  }

  /**
   * Resolves true once no request is in flight, or false when `timeoutMs`
   * passes first (0 means wait without limit).
   */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(wake);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          resolve(false);
        }, timeoutMs);
      }
    });
  }
}
