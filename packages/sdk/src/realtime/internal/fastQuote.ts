/**
 * The hot path of the market hub: `GatewayQuote(contractId, quote)` arrives thousands of times a second and
 * the Schema decode was most of the SDK's cost per quote. The usual shape is checked here by hand with the
 * same rules as `GatewayQuoteArgs`; anything unusual returns undefined and goes through the Schema, so both
 * paths accept and reject exactly the same input (a test compares them).
 */
import { type GatewayQuote, parseTimestampFast } from "@projectx-effect/gateway"

const MIN_DATE = Date.UTC(1000, 0, 1)
const MAX_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)

/** `[contractId, quote]` when the arguments are plainly valid, else undefined (ask the Schema). */
export const fastQuote = (args: ReadonlyArray<unknown>): readonly [string, GatewayQuote] | undefined => {
  if (args.length !== 2) return undefined
  const contractId = args[0]
  const raw = args[1]
  if (typeof contractId !== "string" || contractId.length === 0) return undefined
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined
  const out: Record<string, unknown> = {}
  const input = raw as Record<string, unknown>
  for (const key in input) {
    const v = input[key]
    switch (key) {
      case "symbol":
        if (typeof v !== "string") return undefined
        out.symbol = v
        break
      case "symbolName":
        if (v !== null && typeof v !== "string") return undefined
        out.symbolName = v
        break
      case "lastPrice":
      case "bestBid":
      case "bestAsk":
      case "change":
      case "changePercent":
      case "open":
      case "high":
      case "low":
        if (!finite(v)) return undefined
        out[key] = v
        break
      case "volume":
        if (!finite(v) || v < 0) return undefined
        out.volume = v
        break
      case "lastUpdated":
      case "timestamp": {
        if (v === null) {
          out[key] = null
          break
        }
        if (typeof v !== "string") return undefined
        const millis = parseTimestampFast(v)
        if (!(millis >= MIN_DATE && millis <= MAX_DATE)) return undefined
        out[key] = new Date(millis)
        break
      }
      default:
        // Unknown fields are dropped, as the Struct does (lenient to new fields).
        if (!Object.hasOwn(input, key)) return undefined
    }
  }
  return [contractId, out as GatewayQuote]
}
