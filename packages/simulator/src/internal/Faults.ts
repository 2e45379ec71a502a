// Fault injection by endpoint: HTTP status codes, added latency, dropped connections, malformed
// bodies, business error codes, and "execute, then drop the reply" (the ambiguous outcome an SDK
// must reconcile through customTag). Probabilities draw from a seeded PRNG, so a seed replays the
// same faults for the same sequence of requests.
import { type Prng, prng } from "./Hash.ts"

export type FaultKind = "status" | "latency" | "drop" | "malformed" | "dropAfterExecute" | "errorCode"

export interface FaultRule {
  /** Endpoint table key ("placeOrder"), name ("PlaceOrder"), path ("/api/Order/place"), or "*". */
  readonly endpoint: string
  readonly kind: FaultKind
  /** Chance in [0, 1] that the rule applies to a matching request (default 1). */
  readonly probability?: number | undefined
  /** Apply at most this many times (default: no limit). */
  readonly times?: number | undefined
  /** kind "status": the HTTP status (default 503) and an optional Retry-After in seconds. */
  readonly status?: number | undefined
  readonly retryAfterSeconds?: number | undefined
  /** kind "latency": milliseconds added before the request is handled. */
  readonly latencyMs?: number | undefined
  /** kind "errorCode": a 200 envelope with success false and this code (the request is not executed). */
  readonly errorCode?: number | undefined
  readonly errorMessage?: string | null | undefined
}

export interface ActiveRule extends FaultRule {
  /** How many more times the rule may apply (null: unlimited). */
  readonly remaining: number | null
  readonly applied: number
}

export interface FaultDecision {
  readonly latencyMs: number
  /** The first applicable rule that changes the outcome (anything but latency). */
  readonly rule: FaultRule | undefined
}

const none: FaultDecision = { latencyMs: 0, rule: undefined }

interface RuleState {
  readonly rule: FaultRule
  remaining: number | null
  applied: number
}

export class Faults {
  private rules: Array<RuleState> = []
  private random: Prng
  seed: number

  constructor(seed: number) {
    this.seed = seed
    this.random = prng(seed)
  }

  set(
    rules: ReadonlyArray<FaultRule>,
    options: { readonly seed?: number | undefined; readonly append?: boolean | undefined } = {}
  ): void {
    if (options.seed !== undefined) {
      this.seed = options.seed
      this.random = prng(options.seed)
    }
    const next = rules.map((rule) => ({ rule, remaining: rule.times ?? null, applied: 0 }))
    this.rules = options.append === true ? [...this.rules, ...next] : next
  }

  clear(): void {
    this.rules = []
    this.random = prng(this.seed)
  }

  list(): Array<ActiveRule> {
    return this.rules.map((r) => ({ ...r.rule, remaining: r.remaining, applied: r.applied }))
  }

  decide(key: string, name: string, path: string): FaultDecision {
    if (this.rules.length === 0) return none
    let latencyMs = 0
    let chosen: FaultRule | undefined
    for (const r of this.rules) {
      const e = r.rule.endpoint
      if (e !== "*" && e !== key && e !== name && e !== path) continue
      if (r.remaining === 0) continue
      if (r.rule.kind !== "latency" && chosen !== undefined) continue
      const p = r.rule.probability ?? 1
      if (p < 1 && this.random.next() >= p) continue
      if (r.remaining !== null) r.remaining--
      r.applied++
      if (r.rule.kind === "latency") latencyMs += r.rule.latencyMs ?? 0
      else chosen = r.rule
    }
    return latencyMs === 0 && chosen === undefined ? none : { latencyMs, rule: chosen }
  }
}
