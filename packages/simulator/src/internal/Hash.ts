// Integer hashing and a seeded PRNG. Everything the market and the fault injector draw comes from
// here, built only from 32-bit integer operations and exact double arithmetic (no Math.random, no
// transcendental functions), so the same seed gives the same numbers on every machine.

/** lowbias32 (Chris Wellons): a fast, well-mixed 32-bit integer hash. */
export const mix32 = (x: number): number => {
  x = (x ^ (x >>> 16)) >>> 0
  x = Math.imul(x, 0x7feb352d)
  x = (x ^ (x >>> 15)) >>> 0
  x = Math.imul(x, 0x846ca68b)
  x = (x ^ (x >>> 16)) >>> 0
  return x
}

/** Hashes up to four integers (each taken modulo 2^32) into one 32-bit value. */
export const hash4 = (a: number, b: number, c: number, d: number): number =>
  mix32((mix32((mix32((mix32(a >>> 0) ^ b) >>> 0) ^ c) >>> 0) ^ d) >>> 0)

/** The i-th draw of a stream seeded by `base` (one mix per draw: cheap enough for every minute). */
export const draw = (base: number, i: number): number => mix32((base + Math.imul(i, 0x9e3779b9)) >>> 0)

/** A uniform number in [0, 1) from a 32-bit hash. */
export const unit = (h: number): number => h / 4294967296

/** An approximately standard-normal number from two hashes (Irwin-Hall with four 16-bit uniforms). */
export const gauss = (h1: number, h2: number): number =>
  (((h1 & 0xffff) + (h1 >>> 16) + (h2 & 0xffff) + (h2 >>> 16)) / 65536 - 2) * 1.7320508075688772

/** Hashes a string (FNV-1a) to a 32-bit integer, for seeds given as text and for root names. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A seeded PRNG (splitmix32). `next()` returns a uniform number in [0, 1). */
export interface Prng {
  readonly next: () => number
}

export const prng = (seed: number): Prng => {
  let state = seed >>> 0
  return {
    next: () => {
      state = (state + 0x9e3779b9) >>> 0
      return unit(mix32(state))
    }
  }
}
