/**
 * Realtime settings and their defaults: reconnect backoff, staleness thresholds per channel, buffer sizes.
 * A quiet user hub is normal (nothing happened) while a silent quote feed in session is a fault, so the two
 * channels get different thresholds, and market staleness is only judged while the market is open.
 */
import * as Duration from "effect/Duration"

export interface RealtimeOptions {
  /** Open the socket directly, as the ProjectX docs show (default true); false negotiates first. */
  readonly skipNegotiation?: boolean | undefined
  /** Reconnect delays: exponential from `base`, capped at `cap`, with full jitter; never gives up. */
  readonly reconnect?: { readonly base?: Duration.Input; readonly cap?: Duration.Input } | undefined
  /** Extra wait before reconnecting after repeated `GatewayLogout`s (another device fighting for the session). */
  readonly logoutBackoff?: { readonly base?: Duration.Input; readonly cap?: Duration.Input } | undefined
  /**
   * Silence after which a subscription is stale: market data (default 30 s, judged only while
   * `marketOpen` says so) and the user hub (default 5 minutes; a quiet account is reconciled with REST and
   * reported stale only when REST shows events the hub did not deliver).
   */
  readonly staleAfter?: { readonly market?: Duration.Input; readonly user?: Duration.Input } | undefined
  /** Whether market data should be flowing at `now` (default: CME Globex hours, Sunday 22:00 to Friday 22:00 UTC). */
  readonly marketOpen?: ((now: Date) => boolean) | undefined
  /** Per-subscriber buffer for user events and market trades (never dropped): default 10,000. */
  readonly buffer?: number | undefined
  /** SignalR timeouts: no server message for `serverTimeout` closes the socket (default 30 s); pings every `keepAlive` (15 s). */
  readonly serverTimeout?: Duration.Input | undefined
  readonly keepAlive?: Duration.Input | undefined
  /** Fetch the missed user events (orders, positions, fills) from REST after every reconnect (default true). */
  readonly backfill?: boolean | undefined
}

export interface RealtimeSettings {
  readonly skipNegotiation: boolean
  readonly reconnectBaseMs: number
  readonly reconnectCapMs: number
  readonly logoutBaseMs: number
  readonly logoutCapMs: number
  readonly staleMarketMs: number
  readonly staleUserMs: number
  readonly marketOpen: (now: Date) => boolean
  readonly buffer: number
  readonly serverTimeoutMs: number
  readonly keepAliveMs: number
  readonly backfill: boolean
}

/** CME Globex hours in UTC, roughly: closed from Friday 22:00 until Sunday 22:00. */
export const globexOpen = (now: Date): boolean => {
  const day = now.getUTCDay()
  const hour = now.getUTCHours()
  if (day === 6) return false
  if (day === 5) return hour < 22
  if (day === 0) return hour >= 22
  return true
}

const ms = (input: Duration.Input | undefined, fallback: Duration.Input): number =>
  Duration.toMillis(Duration.fromInputUnsafe(input ?? fallback))

export const resolveRealtime = (options: RealtimeOptions = {}): RealtimeSettings => ({
  skipNegotiation: options.skipNegotiation ?? true,
  reconnectBaseMs: ms(options.reconnect?.base, "500 millis"),
  reconnectCapMs: ms(options.reconnect?.cap, "30 seconds"),
  logoutBaseMs: ms(options.logoutBackoff?.base, "2 seconds"),
  logoutCapMs: ms(options.logoutBackoff?.cap, "5 minutes"),
  staleMarketMs: ms(options.staleAfter?.market, "30 seconds"),
  staleUserMs: ms(options.staleAfter?.user, "5 minutes"),
  marketOpen: options.marketOpen ?? globexOpen,
  buffer: Math.max(1, Math.floor(options.buffer ?? 10_000)),
  serverTimeoutMs: ms(options.serverTimeout, "30 seconds"),
  keepAliveMs: ms(options.keepAlive, "15 seconds"),
  backfill: options.backfill ?? true
})

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base · 2^attempt)], at least 1/4 of it. */
export const backoffMs = (attempt: number, baseMs: number, capMs: number, random: number): number => {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling * (0.25 + 0.75 * random))
}
