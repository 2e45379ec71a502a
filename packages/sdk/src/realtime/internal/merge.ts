/**
 * Pure merging for the market channels. Quotes arrive as a snapshot then sparse deltas, so each contract
 * keeps one full quote. Depth batches coalesce by level: the latest entry per (type, price) wins and a
 * Reset clears what precedes it, so applying a coalesced batch builds the same book as applying them all.
 */
import { DomType, type GatewayDepthEntry, type GatewayQuote } from "@projectx-effect/gateway"
import type { Depth, Quote } from "../Events.ts"

/** `delta` merged over `previous` (fields absent from the delta keep their value). */
export const mergeQuote = (
  previous: Quote | undefined,
  contractId: string,
  delta: GatewayQuote,
  receivedAt: number
): Quote => {
  const merged: Record<string, unknown> = previous === undefined ? { _tag: "Quote", contractId } : { ...previous }
  for (const key in delta) {
    const value = (delta as Record<string, unknown>)[key]
    if (value !== undefined) merged[key] = value
  }
  merged.receivedAt = receivedAt
  return merged as unknown as Quote
}

/** Entries that set a level's state: the latest per (type, price) is all a book needs. */
const levelKey = (entry: GatewayDepthEntry, index: number): string => {
  switch (entry.type) {
    case DomType.Ask:
    case DomType.Bid:
    case DomType.BestAsk:
    case DomType.BestBid:
    case DomType.NewBestAsk:
    case DomType.NewBestBid:
      return `${entry.type}:${entry.price}`
    case DomType.Low:
    case DomType.High:
      return `${entry.type}`
    default:
      // Prints (Trade, Fill) and unknown types are events, never superseded.
      return `#${index}`
  }
}

let sequence = 0

/** Coalesces `next` into `pending`; `dropped` counts the entries that no longer matter. */
export const coalesceDepth = (pending: Depth, next: Depth): { readonly value: Depth; readonly dropped: number } => {
  const levels = new Map<string, GatewayDepthEntry>()
  let dropped = 0
  const add = (entry: GatewayDepthEntry) => {
    if (entry.type === DomType.Reset) {
      dropped += levels.size
      levels.clear()
      levels.set("reset", entry)
      return
    }
    const key = levelKey(entry, sequence++)
    if (levels.delete(key)) dropped++
    levels.set(key, entry)
  }
  for (const entry of pending.entries) add(entry)
  for (const entry of next.entries) add(entry)
  return {
    value: { _tag: "Depth", contractId: next.contractId, entries: [...levels.values()], receivedAt: next.receivedAt },
    dropped
  }
}

/** A newer quote replaces the pending one (it already carries every merged field): one update dropped. */
export const coalesceQuote = (_pending: Quote, next: Quote): { readonly value: Quote; readonly dropped: number } => ({
  value: next,
  dropped: 1
})
