/**
 * Realtime metrics: connects, reconnects, logouts, messages and drops by type, staleness. The socket
 * callbacks bump plain counters (an Effect per message would cost more than the message); the watchdog
 * tick flushes the increments into Effect `Metric` counters, which every exporter reads.
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { HubStats } from "./HubConnection.ts"

export const connectsTotal = Metric.counter("projectx_realtime_connects_total", {
  description: "Hub connections opened, by hub and kind (connect, reconnect)",
  incremental: true
})
export const messagesTotal = Metric.counter("projectx_realtime_messages_total", {
  description: "Hub messages received, by hub and event type",
  incremental: true
})
export const dropsTotal = Metric.counter("projectx_realtime_drops_total", {
  description: "Coalesced (superseded) market updates, by hub and event type",
  incremental: true
})
export const staleTotal = Metric.counter("projectx_realtime_stale_total", {
  description: "Subscriptions found stale by the watchdog, by hub",
  incremental: true
})
export const logoutsTotal = Metric.counter("projectx_realtime_logouts_total", {
  description: "GatewayLogout events, by hub",
  incremental: true
})

export const realtimeMetricNames = [
  "projectx_realtime_connects_total",
  "projectx_realtime_messages_total",
  "projectx_realtime_drops_total",
  "projectx_realtime_stale_total",
  "projectx_realtime_logouts_total"
] as const

/** Flushes what `stats` gained since the previous call into the metric counters. */
export const makeFlush = (hub: string, stats: HubStats): Effect.Effect<void> => {
  const seen = new Map<string, number>()
  const tagged = new Map<string, Metric.Counter<number>>()
  const counter = (metric: Metric.Counter<number>, labels: Record<string, string>) => {
    const key = `${metric.id}|${Object.values(labels).join("|")}`
    let found = tagged.get(key)
    if (found === undefined) {
      found = Metric.withAttributes(metric, labels)
      tagged.set(key, found)
    }
    return [key, found] as const
  }
  const delta = (metric: Metric.Counter<number>, labels: Record<string, string>, value: number) => {
    const [key, instrument] = counter(metric, labels)
    const before = seen.get(key) ?? 0
    if (value <= before) return Effect.void
    seen.set(key, value)
    return Metric.update(instrument, value - before)
  }
  return Effect.suspend(() => {
    const updates: Array<Effect.Effect<void>> = [
      delta(connectsTotal, { hub, kind: "connect" }, stats.connects - stats.reconnects),
      delta(connectsTotal, { hub, kind: "reconnect" }, stats.reconnects),
      delta(staleTotal, { hub }, stats.stale),
      delta(logoutsTotal, { hub }, stats.logouts)
    ]
    for (const type in stats.messages) updates.push(delta(messagesTotal, { hub, type }, stats.messages[type] ?? 0))
    for (const type in stats.drops) updates.push(delta(dropsTotal, { hub, type }, stats.drops[type] ?? 0))
    return Effect.all(updates, { discard: true })
  })
}
