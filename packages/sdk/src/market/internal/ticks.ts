/**
 * Tick arithmetic. Prices are compared as whole numbers of ticks with a tolerance, because a float price
 * such as 0.3 is not an exact multiple of 0.1 (0.3 / 0.1 = 2.9999999999999996) and the Gateway refuses a
 * misaligned price. Results are rounded to the tick size's decimals so they print as the Gateway's prices.
 */

/** A tick fraction below this counts as float noise, not misalignment (1e-6 of a tick). */
const EPSILON = 1e-6

/** How `roundToTick` picks a neighbouring tick. */
export type RoundMode = "nearest" | "down" | "up"

/** The number of decimals a tick size carries (0.25 → 2, 0.00005 → 5, 5e-7 → 7, 1 → 0). */
export const decimalsOf = (tickSize: number): number => {
  const text = String(tickSize)
  const exp = /e-(\d+)$/i.exec(text)
  if (exp !== null) {
    const mantissa = text.slice(0, exp.index)
    const dot = mantissa.indexOf(".")
    return Number(exp[1]) + (dot === -1 ? 0 : mantissa.length - dot - 1)
  }
  const dot = text.indexOf(".")
  return dot === -1 ? 0 : text.length - dot - 1
}

const fromTicks = (ticks: number, tickSize: number): number => {
  const value = Number((ticks * tickSize).toFixed(Math.min(decimalsOf(tickSize), 15)))
  return Object.is(value, -0) ? 0 : value
}

/** `price` in ticks, rounded to the nearest whole tick when within float noise of it. */
const ticksOf = (price: number, tickSize: number): number => {
  const ticks = price / tickSize
  const nearest = Math.round(ticks)
  return Math.abs(ticks - nearest) < EPSILON ? nearest : ticks
}

/** Whether `tickSize` is usable: finite and positive. */
export const isValidTickSize = (tickSize: number): boolean => Number.isFinite(tickSize) && tickSize > 0

/**
 * `price` moved onto the tick grid: to the nearest tick (halves away from zero), or down/up. A price already
 * on the grid (up to float noise) is returned as the exact grid value in every mode.
 */
export const roundToTick = (price: number, tickSize: number, mode: RoundMode = "nearest"): number => {
  const ticks = ticksOf(price, tickSize)
  const whole =
    mode === "down"
      ? Math.floor(ticks)
      : mode === "up"
        ? Math.ceil(ticks)
        : Math.sign(ticks) * Math.round(Math.abs(ticks))
  return fromTicks(whole, tickSize)
}

/** Whether `price` is a whole number of ticks (tolerating float error such as 0.1 + 0.2). */
export const isAligned = (price: number, tickSize: number): boolean =>
  Number.isFinite(price) && isValidTickSize(tickSize) && Number.isInteger(ticksOf(price, tickSize))

/** A price distance as a whole number of ticks (nearest; the sign of `distance` is kept). */
export const priceDistanceToTicks = (distance: number, tickSize: number): number => {
  const ticks = ticksOf(distance, tickSize)
  const whole = Math.sign(ticks) * Math.round(Math.abs(ticks))
  return Object.is(whole, -0) ? 0 : whole
}

/** A whole number of ticks as a price distance, rounded to the tick size's decimals. */
export const ticksToPriceDistance = (ticks: number, tickSize: number): number => fromTicks(ticks, tickSize)

/** The entry side of a bracketed order: a buy opens (or adds to) a long, a sell a short. */
export type BracketSide = "buy" | "sell" | 0 | 1

export interface BracketTicksInput {
  readonly side: BracketSide
  /** How far below (long) or above (short) the fill the stop loss sits, in price units, positive. */
  readonly stopLossDistance?: number | undefined
  /** How far above (long) or below (short) the fill the take profit sits, in price units, positive. */
  readonly takeProfitDistance?: number | undefined
  readonly tickSize: number
}

export interface BracketTicks {
  readonly stopLossTicks?: number
  readonly takeProfitTicks?: number
}

const isBuy = (side: BracketSide): boolean => side === "buy" || side === 0

/**
 * Bracket offsets signed the way the Gateway demands: for a buy (long) entry the stop loss is below the
 * fill (negative ticks) and the take profit above (positive); for a sell (short) entry the reverse.
 * Distances are magnitudes: their sign is ignored.
 */
export const bracketTicks = (input: BracketTicksInput): BracketTicks => {
  const long = isBuy(input.side)
  const out: { stopLossTicks?: number; takeProfitTicks?: number } = {}
  if (input.stopLossDistance !== undefined) {
    const ticks = Math.abs(priceDistanceToTicks(input.stopLossDistance, input.tickSize))
    out.stopLossTicks = long ? -ticks : ticks
  }
  if (input.takeProfitDistance !== undefined) {
    const ticks = Math.abs(priceDistanceToTicks(input.takeProfitDistance, input.tickSize))
    out.takeProfitTicks = long ? ticks : -ticks
  }
  return out
}

/** The sign a bracket's ticks must have for an entry side (-1 or 1). */
export const bracketSign = (side: BracketSide, leg: "stopLoss" | "takeProfit"): -1 | 1 => {
  const long = isBuy(side)
  return leg === "stopLoss" ? (long ? -1 : 1) : long ? 1 : -1
}

/** Month codes of futures contract names and ids, January to December. */
export const MONTH_CODES = "FGHJKMNQUVXZ"
