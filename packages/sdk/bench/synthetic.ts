// Deterministic synthetic bars for the benchmarks: a seeded random walk on a 0.25 tick grid (like the
// equity-index micros), ten ticks of movement per bar, volumes roughly 20–3,000.
import type { Bar as GatewayBar } from "@projectx-effect/gateway"

/** A bar as the Gateway sends it (the contract's Bar Schema, encoded side). */
export type WireBar = (typeof GatewayBar)["Encoded"]

/** A small, fast, seeded PRNG (mulberry32): the same bars on every machine. */
export const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Calls `each` with bar i's open, high, low, close and volume, oldest first. */
export const randomWalk = (
  n: number,
  startPrice: number,
  each: (i: number, open: number, high: number, low: number, close: number, volume: number) => void
): void => {
  const random = mulberry32(20_250_718)
  let price = startPrice
  for (let i = 0; i < n; i++) {
    const open = price
    let high = open
    let low = open
    for (let step = 0; step < 10; step++) {
      price += (Math.floor(random() * 5) - 2) * 0.25
      if (price > high) high = price
      if (price < low) low = price
    }
    each(i, open, high, low, price, Math.floor(Math.exp(random() * 3 + random() * 2) * 20))
  }
}
