// The Gateway's two rate-limit buckets (History 50/30 s, everything else 200/60 s; gateway-api.md §7),
// enforced per token (per client address for logins and other unauthenticated calls) as sliding
// windows, or fixed windows on request. `timeScale` shrinks every window so tests run in milliseconds.
import type { Bucket } from "@projectx-effect/gateway"

export interface BucketLimit {
  readonly limit: number
  readonly windowMs: number
}

export interface RateLimitSettings {
  readonly enabled: boolean
  readonly mode: "sliding" | "fixed"
  /** Multiplies every window: 0.01 makes a 60 s window last 600 ms. */
  readonly timeScale: number
  readonly history: BucketLimit
  readonly general: BucketLimit
}

export const defaultRateLimits: RateLimitSettings = {
  enabled: true,
  mode: "sliding",
  timeScale: 1,
  history: { limit: 50, windowMs: 30_000 },
  general: { limit: 200, windowMs: 60_000 }
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number }

const admitted: Admission = { ok: true }

export class RateLimiter {
  settings: RateLimitSettings
  private readonly sliding = new Map<string, Array<number>>()
  private readonly fixed = new Map<string, { start: number; count: number }>()

  constructor(settings: RateLimitSettings) {
    this.settings = settings
  }

  update(settings: Partial<RateLimitSettings>): RateLimitSettings {
    this.settings = {
      ...this.settings,
      ...settings,
      history: { ...this.settings.history, ...settings.history },
      general: { ...this.settings.general, ...settings.general }
    }
    this.clear()
    return this.settings
  }

  clear(): void {
    this.sliding.clear()
    this.fixed.clear()
  }

  admit(key: string, bucket: Bucket, nowMs: number): Admission {
    const s = this.settings
    if (!s.enabled) return admitted
    const { limit, windowMs: base } = bucket === "history" ? s.history : s.general
    const windowMs = Math.max(1, base * s.timeScale)
    const id = `${bucket}|${key}`
    if (s.mode === "fixed") {
      const start = Math.floor(nowMs / windowMs) * windowMs
      let w = this.fixed.get(id)
      if (w === undefined || w.start !== start) this.fixed.set(id, (w = { start, count: 0 }))
      if (w.count >= limit) return { ok: false, retryAfterMs: start + windowMs - nowMs }
      w.count++
      return admitted
    }
    let hits = this.sliding.get(id)
    if (hits === undefined) this.sliding.set(id, (hits = []))
    let drop = 0
    while (drop < hits.length && hits[drop]! <= nowMs - windowMs) drop++
    if (drop > 0) hits.splice(0, drop)
    if (hits.length >= limit) return { ok: false, retryAfterMs: Math.max(1, hits[0]! + windowMs - nowMs) }
    hits.push(nowMs)
    return admitted
  }
}
