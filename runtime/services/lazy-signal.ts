// An AbortSignal made only when someone reads it: most calls on the lean path never do.

/**
 * A call's signal, made when first read (the lean path seldom reads it): an abort before that is
 * kept and seen by the first read, as it would have been by a signal made up front. The first
 * abort's reason wins, as with an AbortController.
 */
export class LazySignal {
  private controller: AbortController | undefined;
  private ended: { reason: unknown } | undefined;

  /** `make`: the controller, when first needed (linked to other signals, say). */
  constructor(private readonly make: () => AbortController = () => new AbortController()) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      if (this.ended === undefined) this.controller = this.make();
      else {
        this.controller = new AbortController();
        this.controller.abort(this.ended.reason);
      }
    }
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.controller !== undefined) this.controller.abort(reason);
    else this.ended ??= { reason };
  }
}
