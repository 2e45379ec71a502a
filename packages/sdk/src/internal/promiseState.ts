/**
 * The Promise facade's order-and-position state: `TradingState` and `NakedPositionGuard` wrapped as plain
 * objects with Promises, `AsyncIterable`s and `on(…)` callbacks. Loaded on the first `client.state` call (it
 * brings the state machinery); each object owns a scope forked from the client's, so `dispose()` on it or
 * on the client ends its fibers, subscriptions, iterators and pending waits.
 */
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type * as ProjectX from "../ProjectX.ts"
import type { Exposure, GuardEvent, GuardPolicy } from "../state/NakedPositionGuard.ts"
import { NakedPositionGuard } from "../state/NakedPositionGuard.ts"
import type { Phase } from "../state/OrderLifecycle.ts"
import {
  type BracketView,
  type Divergence,
  type DivergenceReport,
  type OrderHandle,
  type TrackedOrder,
  TradingState,
  type TradingSnapshot,
  type TradingStateOptions,
  type TradingStateShape
} from "../state/TradingState.ts"
import type { PlaceOrderInput } from "../trading/Orders.ts"
import type { CallOptions, ListenOptions, StreamOptions, WaitOptions } from "./promiseOptions.ts"
import { childScope, closeScope, iterate, listen, type Runtime, runUntil } from "./promiseRuntime.ts"

/** The options of `client.state.account(…)`: TradingState's, without the account (given apart). */
export type AccountStateOptions = Omit<TradingStateOptions, "accountId">

/**
 * A placed order to follow. The reads are synchronous (the state is in memory); the waits reject with
 * `OrderTimeout` (still not there after `timeoutMs`) or `OrderNotFilled` (ended another way).
 */
export interface TrackedOrderHandle {
  readonly customTag: string
  /** The order id, once known (at once after a clean placement; by tag after a lost reply). */
  orderId(): number | undefined
  /** The order as it stands (undefined while its placement is Unknown). */
  current(): TrackedOrder | undefined
  /** Unknown while the placement's outcome is not known, then Submitted, Working, … Filled. */
  phase(): Phase
  /** The entry with its bracket children, as they stand. */
  bracket(): BracketView | undefined
  /** Resolves at a terminal phase (Filled, Cancelled, Rejected, Expired). */
  terminal(options: WaitOptions): Promise<TrackedOrder>
  /** Resolves at the complete fill; rejects with `OrderNotFilled` if the order ends another way. */
  filled(options: WaitOptions): Promise<TrackedOrder>
  /** Resolves when the entry and every bracket child are terminal (target, stop or cancel). */
  bracketDone(options: WaitOptions): Promise<BracketView>
}

/** The alerts and actions of a naked-position guard, and the state it reads. */
export interface PositionGuard extends AsyncDisposable {
  /** The account state the guard reads (disposed with the guard when the guard made it). */
  readonly state: AccountState
  /** Every alert and action since the guard started (the latest 256 replayed), then live ones. */
  events(options?: StreamOptions): AsyncIterable<GuardEvent>
  /** Calls `handler` for each event (recent ones first) until the returned function is called. */
  on(handler: (event: GuardEvent) => void, options?: ListenOptions): () => void
  /** The positions without a covering working stop right now (whatever the grace). */
  naked(): ReadonlyArray<Exposure>
  /** Stops the guard (and the state it made); its iterators finish. Safe to call twice. */
  dispose(): Promise<void>
}

/** One account's orders, positions and balance, live from the user hub and reconciled with REST. */
export interface AccountState extends AsyncDisposable {
  readonly accountId: number
  /** The state now. */
  snapshot(): TradingSnapshot
  /** The state now, then after every change, until disposed or aborted. */
  changes(options?: StreamOptions): AsyncIterable<TradingSnapshot>
  /** Calls `handler` with the state now and after every change, until the returned function is called. */
  on(handler: (snapshot: TradingSnapshot) => void, options?: ListenOptions): () => void
  /** The divergences from REST repaired so far, by kind, and the re-synchronisations done. */
  divergences(): DivergenceReport
  /** Re-synchronises from REST now; resolves with what it repaired. */
  resync(options?: CallOptions): Promise<ReadonlyArray<Divergence>>
  /** Places an order (as `orders.place`, never twice) and returns a handle that follows it. */
  placeTracked(input: PlaceOrderInput, options?: CallOptions): Promise<TrackedOrderHandle>
  /** A handle on an order placed elsewhere, by its tag (and id, if known). */
  track(customTag: string, orderId?: number): TrackedOrderHandle
  /** Turns a naked-position guard on over this state (disposed with it). */
  guard(policy?: GuardPolicy, options?: CallOptions): Promise<PositionGuard>
  /** Ends the hub subscriptions and fibers of this state (and its guards). Safe to call twice. */
  dispose(): Promise<void>
}

/** What one owned object needs: the runtime, its scope, and the signal that scope closed. */
interface Owner {
  readonly runtime: Runtime
  readonly scope: Scope.Closeable
  readonly closed: Effect.Effect<void>
}

/** Builds `make` in a fresh child of `parent`; the child is closed again if the build fails or aborts. */
const build = async <A>(
  operation: string,
  runtime: Runtime,
  parent: Scope.Scope,
  make: Effect.Effect<A, unknown, ProjectX.Services | Scope.Scope>,
  signal?: AbortSignal
): Promise<{ readonly owner: Owner; readonly value: A }> => {
  const { scope, closed } = childScope(parent)
  const owner = { runtime, scope, closed }
  try {
    const value = await runUntil(runtime, operation, Scope.provide(scope)(make), closed, signal)
    return { owner, value }
  } catch (error) {
    await closeScope(scope)
    throw error
  }
}

const handleOf = (owner: Owner, h: OrderHandle): TrackedOrderHandle => {
  const wait = <A>(name: string, effect: (timeout: number) => Effect.Effect<A, unknown>, options: WaitOptions) =>
    runUntil(owner.runtime, `order ${h.customTag}: ${name}`, effect(options.timeoutMs), owner.closed, options.signal)
  return {
    customTag: h.customTag,
    orderId: () => Effect.runSync(h.orderId),
    current: () => Effect.runSync(h.current),
    phase: () => Effect.runSync(h.phase),
    bracket: () => Effect.runSync(h.bracket),
    terminal: (options) => wait("terminal", h.terminal, options),
    filled: (options) => wait("filled", h.filled, options),
    bracketDone: (options) => wait("bracketDone", h.bracketDone, options)
  }
}

const guardOf = async (
  state: AccountState,
  shape: TradingStateShape,
  owner: Owner,
  policy: GuardPolicy | undefined,
  ownsState: boolean,
  signal?: AbortSignal
): Promise<PositionGuard> => {
  const { owner: own, value } = await build(
    "state.guard",
    owner.runtime,
    owner.scope,
    Effect.gen(function* () {
      const guard = yield* NakedPositionGuard.make(policy).pipe(Effect.provideService(TradingState, shape))
      // The guard replays its recent alerts to every new subscriber, so a loop that starts late misses none.
      return { guard, events: guard.events }
    }),
    signal
  )
  const dispose = () => (ownsState ? state.dispose() : closeScope(own.scope))
  return {
    state,
    events: (options) => iterate(own.runtime, value.events, own.closed, options?.signal),
    on: (handler, options) => listen(own.runtime, value.events, own.closed, handler, options),
    naked: () => Effect.runSync(value.guard.naked),
    dispose,
    [Symbol.asyncDispose]: dispose
  }
}

const accountOf = (owner: Owner, shape: TradingStateShape): AccountState => {
  const { runtime, closed } = owner
  const dispose = () => closeScope(owner.scope)
  const self: AccountState = {
    accountId: shape.accountId,
    snapshot: () => Effect.runSync(shape.snapshot),
    changes: (options) => iterate(runtime, shape.changes, closed, options?.signal),
    on: (handler, options) => listen(runtime, shape.changes, closed, handler, options),
    divergences: () => Effect.runSync(shape.divergences),
    resync: (options) => runUntil(runtime, "state.resync", shape.resync, closed, options?.signal),
    placeTracked: (input, options) =>
      runUntil(runtime, "state.placeTracked", shape.placeTracked(input), closed, options?.signal).then((h) =>
        handleOf(owner, h)
      ),
    track: (customTag, orderId) => handleOf(owner, shape.track(customTag, orderId)),
    guard: (policy, options) => guardOf(self, shape, owner, policy, false, options?.signal),
    dispose,
    [Symbol.asyncDispose]: dispose
  }
  return self
}

/** The state of one account (default: the configured one), seeded from REST, owned by `parent`. */
export const openAccount = async (
  runtime: Runtime,
  parent: Scope.Scope,
  accountId: number | undefined,
  options: AccountStateOptions = {},
  signal?: AbortSignal
): Promise<AccountState> => {
  const { owner, value } = await build(
    "state.account",
    runtime,
    parent,
    TradingState.make({ ...options, accountId }),
    signal
  )
  return accountOf(owner, value)
}

/** A guard over a state of its own: disposing the guard disposes the state. */
export const openGuard = async (
  runtime: Runtime,
  parent: Scope.Scope,
  accountId: number | undefined,
  policy: GuardPolicy | undefined,
  signal?: AbortSignal
): Promise<PositionGuard> => {
  const { owner, value } = await build("state.guard", runtime, parent, TradingState.make({ accountId }), signal)
  const state = accountOf(owner, value)
  try {
    return await guardOf(state, value, owner, policy, true, signal)
  } catch (error) {
    await state.dispose()
    throw error
  }
}
