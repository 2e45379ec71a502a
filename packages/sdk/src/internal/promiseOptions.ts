/**
 * The option shapes every Promise-facade object shares (client, account state, guard, order handle). Types
 * only, in a module of their own, so the facade and its lazily loaded parts name them without a cycle.
 */

/** Per-call options. */
export interface CallOptions {
  /** Aborting interrupts the call: its HTTP request is cancelled and the Promise rejects. */
  readonly signal?: AbortSignal
}

/** Options of a realtime subscription. */
export interface StreamOptions {
  /** Aborting ends the subscription (the iterator finishes; `on` stops calling back). */
  readonly signal?: AbortSignal
}

/** Options of an `on(…)` subscription. */
export interface ListenOptions extends StreamOptions {
  /** Called once if the subscription fails (a refused subscription, an overflow); default: logged by Effect. */
  readonly onError?: (error: unknown) => void
}

/** How long to wait for an order to reach a state. */
export interface WaitOptions {
  /** Rejects with `OrderTimeout` after this many milliseconds (`Infinity`: wait until aborted or disposed). */
  readonly timeoutMs: number
  /** Aborting rejects the wait (the order itself is not touched). */
  readonly signal?: AbortSignal
}
