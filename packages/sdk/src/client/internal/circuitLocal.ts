/**
 * The in-process circuits behind `CircuitBreaker.layer`: the state machine of Effect's
 * `effect/persistence/CircuitBreaker` over its memory store with a consecutive-failures policy, run
 * synchronously when a call is admitted and when it ends. Hand-written because Effect's `execute` (a Scope,
 * an uninterruptible region, a generator and two store round trips per call, built for a shared store's
 * leases) was ~20 µs of the SDK's ~45 µs of CPU per call (bench/src/breakdown.ts, 2b); here a closed
 * circuit costs a field read on the way in and one on the way out. A shared store still goes through
 * Effect's breaker (`CircuitBreaker.layerWithoutStore`), and test/CircuitBreaker.test.ts runs both on the
 * same random outcomes and checks they agree, transition for transition.
 */

export type Outcome = "Success" | "Failure" | "Ignored"

export interface LocalTransition {
  readonly from: "Closed" | "Open" | "HalfOpen"
  readonly to: "Closed" | "Open" | "HalfOpen"
}

/** How long the `n`th consecutive opening lasts, in ms (`random` in [0, 1) for the jitter). */
export type OpenDuration = (n: number, random: () => number) => number

/** Effect's `Schedule.exponential(base)` → `Schedule.jittered` → capped at `maxMs`, as one function. */
export const jitteredExponential =
  (baseMs: number, maxMs: number): OpenDuration =>
  (n, random) => {
    const ms = baseMs * 2 ** (n - 1)
    const r = random()
    return Math.min(ms * 0.8 * (1 - r) + ms * 1.2 * r, maxMs)
  }

export interface Admitted {
  readonly _tag: "Admitted"
  readonly generation: number
  /** The openings so far when admitted: an opening this call causes lasts as the next one after them. */
  readonly openings: number
  readonly transition: LocalTransition | undefined
}

export type Admission = Admitted | { readonly _tag: "Rejected"; readonly retryAfterMs: number | undefined }

let nextGeneration = 0

/** One endpoint group's circuit. */
export class Circuit {
  state: "Closed" | "Open" | "HalfOpen" = "Closed"
  /** Failures in a row while closed (only a success resets it). */
  streak = 0
  openUntil = 0
  consecutiveOpenings = 0
  lastOpenFor = 0
  /** After this instant a closed circuit forgets its past openings (the backoff starts again). */
  resetAt = 0
  probing = false
  /** Changes on every opening, probe and closing: an outcome admitted under an older one is dropped. */
  generation = nextGeneration++

  readonly failures: number
  readonly openDuration: OpenDuration

  constructor(failures: number, openDuration: OpenDuration) {
    this.failures = failures
    this.openDuration = openDuration
  }

  /** `admit` for a closed circuit with no openings to forget, which needs no clock. */
  admitClosed(): Admitted {
    return { _tag: "Admitted", generation: this.generation, openings: 0, transition: undefined }
  }

  admit(now: number): Admission {
    let transition: LocalTransition | undefined
    switch (this.state) {
      case "Closed":
        if (this.consecutiveOpenings > 0 && now >= this.resetAt) this.consecutiveOpenings = 0
        return {
          _tag: "Admitted",
          generation: this.generation,
          openings: this.consecutiveOpenings,
          transition: undefined
        }
      case "Open":
        if (now < this.openUntil) return { _tag: "Rejected", retryAfterMs: this.openUntil - now }
        this.state = "HalfOpen"
        transition = { from: "Open", to: "HalfOpen" }
        break
      case "HalfOpen":
        // One probe at a time; the others fail fast until it ends.
        if (this.probing) return { _tag: "Rejected", retryAfterMs: undefined }
        break
    }
    this.probing = true
    this.generation = nextGeneration++
    return { _tag: "Admitted", generation: this.generation, openings: this.consecutiveOpenings, transition }
  }

  /** Applies the outcome of a call admitted as `admission`; the transition it caused, if any. */
  record(
    admission: { readonly generation: number; readonly openings: number },
    outcome: Outcome,
    now: number,
    random: () => number
  ): LocalTransition | undefined {
    if (admission.generation !== this.generation) return undefined
    if (this.state === "HalfOpen") {
      switch (outcome) {
        case "Ignored":
          this.probing = false
          return undefined
        case "Failure":
          return this.open("HalfOpen", admission.openings, now, random)
        case "Success":
          this.state = "Closed"
          this.generation = nextGeneration++
          this.resetAt = now + this.lastOpenFor
          this.probing = false
          this.streak = 0
          return { from: "HalfOpen", to: "Closed" }
      }
    }
    if (this.state !== "Closed" || outcome === "Ignored") return undefined
    if (outcome === "Success") {
      this.streak = 0
      return undefined
    }
    this.streak++
    return this.streak >= this.failures ? this.open("Closed", admission.openings, now, random) : undefined
  }

  private open(from: "Closed" | "HalfOpen", openings: number, now: number, random: () => number): LocalTransition {
    const openFor = this.openDuration(openings + 1, random)
    this.state = "Open"
    this.generation = nextGeneration++
    this.lastOpenFor = openFor
    this.openUntil = now + openFor
    this.consecutiveOpenings++
    this.probing = false
    this.streak = 0
    return { from, to: "Open" }
  }
}
