/**
 * A `History/retrieveBars` response read straight from its UTF-8 bytes into `BarColumns`: no 1.8 MB
 * string, none of the 20,000 objects `JSON.parse` would build. It accepts only what it fully understands
 * and declines (`undefined`) the rest, which then takes the text + `JSON.parse` + `decodeBarColumns` path
 * that names the error; when it accepts, the result is exactly that path's (JSON grammar, envelope
 * `success` true / `errorCode` 0, the per-bar rules; duplicated keys are declined, not reproduced).
 * Bytes 0x80 and up are JSON only inside strings, where UTF-8 decoding (invalid sequences to U+FFFD)
 * never swallows an ASCII byte: skipped strings pass them over, keys and timestamps holding them are
 * decoded as the text path would. The property tests compare it with the `JSON.parse` path.
 */
import type { BarColumns } from "./BarsWire.ts"
import { parseTimestamp, parseTimestampBytes } from "./Timestamp.ts"

const utf8 = new TextDecoder()

// Char codes.
const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const MINUS = 45
const PLUS = 43
const DOT = 46
const ZERO = 48
const LBRACE = 123
const RBRACE = 125
const LBRACKET = 91
const RBRACKET = 93

/** Exact powers of ten (all representable): the divisor of the short-decimal fast path. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15] as const

/** Unknown values nested deeper than this are declined (the scanner recurses; `JSON.parse` does not). */
const MAX_DEPTH = 256

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/**
 * One scan over one body. Positions are indices into `b`; a method that fails returns -1 (or sets `pos`
 * to -1) and the whole scan declines. A read past the end is `undefined`, which equals no byte and
 * fails every range test (`undefined >= 48` is false), so each check declines there as it should.
 */
class Scanner {
  /** The value the last `number` call read. */
  value = 0
  /** Whether the last string `string` read had escapes (then `text` decodes it). */
  escaped = false
  readonly b: Uint8Array
  constructor(b: Uint8Array) {
    this.b = b
  }

  ws(i: number): number {
    const b = this.b
    for (;;) {
      const c = b[i]
      if (c === 32 || c === 10 || c === 13 || c === 9) i++
      else return i
    }
  }

  /** The end (after the closing quote) of the string starting at `i` (a quote), or -1. */
  string(i: number): number {
    const b = this.b
    const n = b.length
    i++
    this.escaped = false
    while (i < n) {
      const c = b[i]!
      if (c === QUOTE) return i + 1
      if (c < 0x20) return -1
      if (c === BACKSLASH) {
        this.escaped = true
        const e = b[i + 1]
        if (e === 117) {
          // \uXXXX
          if (i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) {
            return -1
          }
          i += 6
        } else if (
          e === QUOTE ||
          e === BACKSLASH ||
          e === 47 || // /
          e === 98 || // b
          e === 102 || // f
          e === 110 || // n
          e === 114 || // r
          e === 116 // t
        ) {
          i += 2
        } else {
          return -1
        }
      } else {
        // Any other byte, 0x80 and up included: the text path decodes it inside the string.
        i++
      }
    }
    return -1
  }

  /**
   * The string `string` just read from `start` (its opening quote) to `end`, as the text path reads it:
   * decoded from UTF-8 (a string begins and ends at an ASCII quote, so it decodes alone as it does within
   * the whole body), then its escapes by `JSON.parse`.
   */
  text(start: number, end: number): string {
    return this.escaped
      ? (JSON.parse(utf8.decode(this.b.subarray(start, end))) as string)
      : utf8.decode(this.b.subarray(start + 1, end - 1))
  }

  /**
   * The end of a JSON number at `i`, or -1; its value in `this.value`. Short decimals (at most 15
   * digits, no exponent) are an exact integer divided by an exact power of ten, which IEEE division
   * rounds correctly, as `JSON.parse` does; anything else goes through `Number`, which reads JSON's
   * number syntax to the same double.
   */
  number(i: number): number {
    const b = this.b
    const start = i
    let c = b[i]!
    const negative = c === MINUS
    if (negative) c = b[++i]!
    let mantissa = 0
    let digits = 0
    if (c === ZERO) {
      c = b[++i]!
      digits = 1
    } else if (c >= 49 && c <= 57) {
      do {
        mantissa = mantissa * 10 + (c - ZERO)
        digits++
        c = b[++i]!
      } while (c >= ZERO && c <= 57)
    } else {
      return -1
    }
    let fraction = 0
    if (c === DOT) {
      c = b[++i]!
      if (!(c >= ZERO && c <= 57)) return -1
      do {
        mantissa = mantissa * 10 + (c - ZERO)
        fraction++
        c = b[++i]!
      } while (c >= ZERO && c <= 57)
    }
    let exponent = false
    if (c === 101 || c === 69) {
      // e E
      exponent = true
      c = b[++i]!
      if (c === PLUS || c === MINUS) c = b[++i]!
      if (!(c >= ZERO && c <= 57)) return -1
      do c = b[++i]!
      while (c >= ZERO && c <= 57)
    }
    if (!exponent && digits + fraction <= 15) {
      const x = fraction === 0 ? mantissa : mantissa / POW10[fraction]!
      this.value = negative ? -x : x
    } else {
      // ASCII only (the grammar above), so its UTF-8 decode is the literal.
      this.value = Number(utf8.decode(b.subarray(start, i)))
    }
    return i
  }

  /** The end of any JSON value at `i` (skipped, not read), or -1. */
  skip(i: number, depth: number): number {
    const b = this.b
    const c = b[i]!
    if (c === QUOTE) return this.string(i)
    if (c === LBRACE || c === LBRACKET) {
      if (depth >= MAX_DEPTH) return -1
      const object = c === LBRACE
      const close = object ? RBRACE : RBRACKET
      i = this.ws(i + 1)
      if (b[i] === close) return i + 1
      for (;;) {
        if (object) {
          if (b[i] !== QUOTE) return -1
          i = this.string(i)
          if (i < 0) return -1
          i = this.ws(i)
          if (b[i] !== COLON) return -1
          i = this.ws(i + 1)
        }
        i = this.skip(i, depth + 1)
        if (i < 0) return -1
        i = this.ws(i)
        const d = b[i]
        if (d === close) return i + 1
        if (d !== COMMA) return -1
        i = this.ws(i + 1)
      }
    }
    if (c === MINUS || (c >= ZERO && c <= 57)) return this.number(i)
    if (c === 116) return bytesAre(b, i, "true") ? i + 4 : -1
    if (c === 102) return bytesAre(b, i, "false") ? i + 5 : -1
    if (c === 110) return bytesAre(b, i, "null") ? i + 4 : -1
    return -1
  }
}

/** Whether the bytes at `i` are the ASCII `word` (past the end they are not). */
const bytesAre = (b: Uint8Array, i: number, word: string): boolean => {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false
  return true
}

/** Whether the bytes `b[start, end)` are the ASCII `word`. */
const bytesEqual = (b: Uint8Array, start: number, end: number, word: string): boolean =>
  end - start === word.length && bytesAre(b, start, word)

/** Bits of the six bar keys, by their char code. */
const barKeyBit = (c: number): number =>
  c === 116 ? 1 : c === 111 ? 2 : c === 104 ? 4 : c === 108 ? 8 : c === 99 ? 16 : c === 118 ? 32 : 0
const ALL_BAR_KEYS = 63

/**
 * Where the scanner writes rows: module-level scratch columns, reused by every scan (it is synchronous)
 * and grown by doubling, so a scan allocates only the exact-size result it copies them into (a guess
 * of the row count from the body's length cost more in allocation and GC than the scan saved).
 */
class Columns {
  n = 0
  capacity = 0
  time = new Float64Array(0)
  open = new Float64Array(0)
  high = new Float64Array(0)
  low = new Float64Array(0)
  close = new Float64Array(0)
  volume = new Float64Array(0)
  reset(): void {
    this.n = 0
  }
  grow(): void {
    const capacity = Math.max(1024, this.capacity * 2)
    const n = this.n
    const larger = (a: Float64Array) => {
      const b = new Float64Array(capacity)
      b.set(a.subarray(0, n))
      // The smaller column is ours alone: free it now rather than at a later GC.
      ;(a.buffer as { transfer?: (length: number) => unknown }).transfer?.(0)
      return b
    }
    this.time = larger(this.time)
    this.open = larger(this.open)
    this.high = larger(this.high)
    this.low = larger(this.low)
    this.close = larger(this.close)
    this.volume = larger(this.volume)
    this.capacity = capacity
  }
  /** The rows as new exact-size columns, each in its own buffer (the table is built in place in them). */
  done(): BarColumns {
    const n = this.n
    const copy = (a: Float64Array) => a.slice(0, n)
    return {
      time: copy(this.time),
      open: copy(this.open),
      high: copy(this.high),
      low: copy(this.low),
      close: copy(this.close),
      volume: copy(this.volume)
    }
  }
}

const scratch = new Columns()

/** Reads one bar object at `i` into row `columns.n`; returns its end, or -1. */
const scanBar = (p: Scanner, i: number, columns: Columns): number => {
  const b = p.b
  if (b[i] !== LBRACE) return -1
  if (columns.n === columns.capacity) columns.grow()
  const row = columns.n
  let seen = 0
  i = p.ws(i + 1)
  for (;;) {
    if (b[i] !== QUOTE) return -1
    const keyStart = i
    i = p.string(i)
    if (i < 0) return -1
    let bit: number
    if (p.escaped) {
      const key = p.text(keyStart, i)
      bit = key.length === 1 ? barKeyBit(key.charCodeAt(0)) : 0
    } else {
      bit = i - keyStart === 3 ? barKeyBit(b[keyStart + 1]!) : 0
    }
    i = p.ws(i)
    if (b[i] !== COLON) return -1
    i = p.ws(i + 1)
    if (bit === 0) {
      i = p.skip(i, 1)
      if (i < 0) return -1
    } else {
      if ((seen & bit) !== 0) return -1 // duplicated: JSON.parse keeps the last; leave that to it
      seen |= bit
      if (bit === 1) {
        if (b[i] !== QUOTE) return -1
        const start = i
        i = p.string(i)
        if (i < 0) return -1
        // In place when it can; otherwise parseTimestamp (the same fast path, then the reference parser).
        let millis = p.escaped ? Number.NaN : parseTimestampBytes(b, start + 1, i - 1)
        if (Number.isNaN(millis)) millis = parseTimestamp(p.text(start, i)) ?? Number.NaN
        if (Number.isNaN(millis)) return -1
        columns.time[row] = millis
      } else {
        const c = b[i]!
        if (c !== MINUS && !(c >= ZERO && c <= 57)) return -1
        i = p.number(i)
        if (i < 0) return -1
        const x = p.value
        if (x - x !== 0) return -1 // NaN or ±Infinity (1e999)
        if (bit === 2) columns.open[row] = x
        else if (bit === 4) columns.high[row] = x
        else if (bit === 8) columns.low[row] = x
        else if (bit === 16) columns.close[row] = x
        else {
          if (!(x >= 0)) return -1
          columns.volume[row] = x
        }
      }
    }
    i = p.ws(i)
    const c = b[i]
    if (c === RBRACE) {
      if (seen !== ALL_BAR_KEYS) return -1
      columns.n = row + 1
      return i + 1
    }
    if (c !== COMMA) return -1
    i = p.ws(i + 1)
  }
}

/**
 * `,"k":` then a finite number at `i` (the compact layout); its end, or -1. The value is in `p.value`.
 */
const compactField = (p: Scanner, i: number, key: number): number => {
  const b = p.b
  if (b[i] !== COMMA || b[i + 1] !== QUOTE || b[i + 2] !== key || b[i + 3] !== QUOTE || b[i + 4] !== COLON) {
    return -1
  }
  const c = b[i + 5]!
  if (c !== MINUS && !(c >= ZERO && c <= 57)) return -1
  i = p.number(i + 5)
  const x = p.value
  return x - x === 0 ? i : -1
}

/**
 * The Gateway's own layout, `{"t":"…","o":…,"h":…,"l":…,"c":…,"v":…}` with no whitespace, read with
 * fewer checks (the timestamp is found with `indexOf` and validated by its parser, which accepts no
 * backslash or control character). Returns the bar's end, or -1 to let `scanBar` read it in full.
 */
const compactBar = (p: Scanner, i: number, columns: Columns): number => {
  const b = p.b
  if (
    b[i] !== LBRACE ||
    b[i + 1] !== QUOTE ||
    b[i + 2] !== 116 || // t
    b[i + 3] !== QUOTE ||
    b[i + 4] !== COLON ||
    b[i + 5] !== QUOTE
  ) {
    return -1
  }
  const end = b.indexOf(QUOTE, i + 6)
  if (end < 0) return -1
  const millis = parseTimestampBytes(b, i + 6, end)
  if (Number.isNaN(millis)) return -1
  if (columns.n === columns.capacity) columns.grow()
  const row = columns.n
  columns.time[row] = millis
  i = compactField(p, end + 1, 111) // o
  if (i < 0) return -1
  columns.open[row] = p.value
  i = compactField(p, i, 104) // h
  if (i < 0) return -1
  columns.high[row] = p.value
  i = compactField(p, i, 108) // l
  if (i < 0) return -1
  columns.low[row] = p.value
  i = compactField(p, i, 99) // c
  if (i < 0) return -1
  columns.close[row] = p.value
  i = compactField(p, i, 118) // v
  if (i < 0 || !(p.value >= 0) || b[i] !== RBRACE) return -1
  columns.volume[row] = p.value
  columns.n = row + 1
  return i + 1
}

/** Reads the bars array at `i`; returns its end, or -1. */
const scanBars = (p: Scanner, i: number, columns: Columns): number => {
  const b = p.b
  if (b[i] !== LBRACKET) return -1
  i = p.ws(i + 1)
  if (b[i] === RBRACKET) return i + 1
  for (;;) {
    const end = compactBar(p, i, columns)
    i = end < 0 ? scanBar(p, i, columns) : end
    if (i < 0) return -1
    i = p.ws(i)
    const c = b[i]
    if (c === RBRACKET) return i + 1
    if (c !== COMMA) return -1
    i = p.ws(i + 1)
  }
}

/**
 * The bars of a retrieveBars response body (its UTF-8 bytes, read, never kept: the columns are fresh
 * arrays), or `undefined` when the scanner declines: the body is not a successful response it fully
 * understands (not JSON, `success` not true, `errorCode` not 0, a bar `decodeBarColumns` would refuse, a
 * duplicated key, a byte-order mark, ...). When it returns columns, they equal
 * `decodeBarColumns(JSON.parse(new TextDecoder().decode(bytes)).bars)`'s.
 */
export const scanBarsResponse = (bytes: Uint8Array): BarColumns | undefined => {
  const b = bytes
  const p = new Scanner(b)
  const columns = scratch
  columns.reset()
  let bars = false
  let success = false
  let errorCode = false
  let i = p.ws(0)
  if (b[i] !== LBRACE) return undefined
  i = p.ws(i + 1)
  for (;;) {
    if (b[i] !== QUOTE) return undefined
    const keyStart = i
    i = p.string(i)
    if (i < 0) return undefined
    // Keys are compared in place; an escaped one is decoded first.
    const keyEnd = i
    const key = p.escaped ? p.text(keyStart, keyEnd) : undefined
    const is = (word: string) => (key === undefined ? bytesEqual(b, keyStart + 1, keyEnd - 1, word) : key === word)
    i = p.ws(i)
    if (b[i] !== COLON) return undefined
    i = p.ws(i + 1)
    if (is("bars")) {
      if (bars) return undefined
      bars = true
      i = scanBars(p, i, columns)
    } else if (is("success")) {
      // Anything but `true` is the transport's (Rejected or a Decode of the envelope).
      if (success || !bytesAre(b, i, "true")) return undefined
      success = true
      i += 4
    } else if (is("errorCode")) {
      if (errorCode) return undefined
      errorCode = true
      const c = b[i]!
      if (c !== MINUS && !(c >= ZERO && c <= 57)) return undefined
      i = p.number(i)
      if (i < 0 || p.value !== 0) return undefined
    } else {
      i = p.skip(i, 1)
    }
    if (i < 0) return undefined
    i = p.ws(i)
    const c = b[i]
    if (c === RBRACE) break
    if (c !== COMMA) return undefined
    i = p.ws(i + 1)
  }
  if (p.ws(i + 1) !== b.length || !bars || !success || !errorCode) return undefined
  return columns.done()
}
