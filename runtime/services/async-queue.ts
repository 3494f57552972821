// A small unbounded queue between a push source (a bus subscription, a status change) and one
// async consumer that waits with an optional idle timeout and an abort signal.

export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  get size(): number {
    return this.items.length;
  }

  /**
   * The next item; undefined when the queue is closed and drained, when `timeoutMs` passes with
   * nothing queued (Infinity = wait forever), or when `signal` aborts.
   */
  async next(timeoutMs: number, signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) return this.items.shift();
      if (this.closed || signal.aborted) return undefined;
      const woke = await this.wait(timeoutMs, signal);
      if (!woke && this.items.length === 0) return undefined;
    }
  }

  /** Resolves true when woken by push/close, false on timeout or abort. */
  private wait(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (woke: boolean) => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.waiter = undefined;
        resolve(woke);
      };
      const onAbort = () => finish(false);
      this.waiter = () => finish(true);
      signal.addEventListener("abort", onAbort, { once: true });
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
