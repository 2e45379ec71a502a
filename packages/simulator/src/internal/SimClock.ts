// The market clock: what "now" is for prices, bars and order timestamps. Separate from wall time
// (which drives token expiry and rate-limit windows) so tests can freeze or jump the market without
// expiring tokens.

export type ClockMode = "live" | "fixed"

export interface ClockState {
  readonly mode: ClockMode
  /** Market time in epoch ms. */
  readonly now: number
}

export class SimClock {
  private mode: ClockMode
  /** live: market time = wall time + offset. */
  private offset: number
  /** fixed: market time. */
  private fixed: number
  private readonly wallNow: () => number

  constructor(wallNow: () => number, mode: ClockMode, start: number | undefined) {
    this.wallNow = wallNow
    this.mode = mode
    const wall = wallNow()
    this.fixed = start ?? wall
    this.offset = start === undefined ? 0 : start - wall
  }

  now(): number {
    return this.mode === "fixed" ? this.fixed : this.wallNow() + this.offset
  }

  state(): ClockState {
    return { mode: this.mode, now: this.now() }
  }

  /** Switches mode and/or sets the time; then advances by `advanceMs`. */
  set(options: {
    readonly mode?: ClockMode | undefined
    readonly now?: number | undefined
    readonly advanceMs?: number | undefined
  }): void {
    const current = this.now()
    const mode = options.mode ?? this.mode
    const target = (options.now ?? current) + (options.advanceMs ?? 0)
    this.mode = mode
    if (mode === "fixed") this.fixed = target
    else this.offset = target - this.wallNow()
  }
}
