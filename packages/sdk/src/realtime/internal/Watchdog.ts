/**
 * Staleness per subscription (project-x-py #97: a tick stream frozen for minutes while SignalR said
 * "connected"). SignalR's own timeouts only see pings, so the watchdog watches the data: silent past the
 * threshold → `Stale` and a resubscribe; still silent one threshold later → reconnect, and again each
 * threshold after. Pure steps driven by a `Clock` loop, so tests move time with TestClock.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export interface Tracked {
  readonly key: string
  /** Last message (Clock ms), or undefined before the first. */
  lastMessageAt: number | undefined
  /** Where silence is measured from: the last message, subscribe, connect, or a closed market. */
  baseline: number
  /** When the silence began, once `Stale` has been signalled. */
  staleSince: number | undefined
  /** 0 healthy, 1 resubscribed, 2+ reconnected that many times minus one. */
  step: number
  stepAt: number
}

export type Action =
  | { readonly _tag: "None" }
  | { readonly _tag: "Stale"; readonly silentMs: number }
  | { readonly _tag: "Reconnect"; readonly silentMs: number }

const none: Action = { _tag: "None" }

export const track = (key: string, now: number): Tracked => ({
  key,
  lastMessageAt: undefined,
  baseline: now,
  staleSince: undefined,
  step: 0,
  stepAt: now
})

/** Silence that does not count: the market was closed, or the socket was just (re)opened. */
export const rebase = (tracked: Tracked, now: number): void => {
  tracked.baseline = Math.max(tracked.baseline, now)
}

/** What to do about `tracked` at `now`. */
export const evaluate = (tracked: Tracked, now: number, thresholdMs: number, open: boolean): Action => {
  if (!open) {
    rebase(tracked, now)
    return none
  }
  const silentMs = now - tracked.baseline
  if (tracked.staleSince === undefined) {
    if (silentMs <= thresholdMs) return none
    tracked.staleSince = tracked.baseline
    tracked.step = 1
    tracked.stepAt = now
    return { _tag: "Stale", silentMs }
  }
  if (now - tracked.stepAt <= thresholdMs) return none
  tracked.step++
  tracked.stepAt = now
  return { _tag: "Reconnect", silentMs: now - tracked.staleSince }
}

export interface Recovery {
  readonly gapMs: number
  readonly via: "data" | "resubscribe" | "reconnect"
  readonly staleSince: number
}

/** Records a message; when the subscription was stale, says how it recovered (once). */
export const touch = (tracked: Tracked, now: number): Recovery | undefined => {
  tracked.lastMessageAt = now
  tracked.baseline = now
  const since = tracked.staleSince
  if (since === undefined) return undefined
  const via = tracked.step <= 0 ? "data" : tracked.step === 1 ? "resubscribe" : "reconnect"
  tracked.staleSince = undefined
  tracked.step = 0
  return { gapMs: now - since, via, staleSince: since }
}

export interface WatchOptions {
  readonly thresholdMs: number
  readonly entries: () => Iterable<Tracked>
  readonly open: (now: number) => boolean
  readonly onStale: (tracked: Tracked, silentMs: number) => Effect.Effect<void>
  /** Called at most once per tick, however many subscriptions asked for it. */
  readonly onReconnect: (reason: string) => Effect.Effect<void>
  /** Runs every tick after the checks (metrics flush). */
  readonly onTick?: Effect.Effect<void>
}

/** A quarter of the threshold, between 50 ms and 5 s: detection lands within 1.25 thresholds. */
export const intervalFor = (thresholdMs: number): number => Math.min(5_000, Math.max(50, Math.floor(thresholdMs / 4)))

/** Checks every subscription each interval, forever (fork it into the service scope). */
export const watch = (options: WatchOptions): Effect.Effect<never> =>
  Effect.forever(
    Effect.gen(function* () {
      yield* Effect.sleep(intervalFor(options.thresholdMs))
      const now = yield* Clock.currentTimeMillis
      const open = options.open(now)
      let reconnect: string | undefined
      for (const tracked of options.entries()) {
        const action = evaluate(tracked, now, options.thresholdMs, open)
        if (action._tag === "Stale") yield* options.onStale(tracked, action.silentMs)
        else if (action._tag === "Reconnect") reconnect ??= `${tracked.key} silent for ${action.silentMs} ms`
      }
      if (reconnect !== undefined) yield* options.onReconnect(reconnect)
      if (options.onTick !== undefined) yield* options.onTick
    })
  )
