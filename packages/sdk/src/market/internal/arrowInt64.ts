// Int64 Arrow columns (timestamps, volumes) written and read as plain numbers through 32-bit views
// of the BigInt64Array's buffer, so no BigInt is allocated per value (measured 9× faster than
// `BigInt(x)` per row). Exact for |v| < 2^53, which covers epoch ms and contract counts.

const TWO_32 = 4294967296

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** A writable int64 column: the array plus unsigned low-word and signed high-word views. */
export interface Int64Column {
  readonly values: BigInt64Array
  readonly lo: Uint32Array
  readonly hi: Int32Array
}

export const allocInt64 = (length: number): Int64Column => {
  const values = new BigInt64Array(length)
  return {
    values,
    lo: new Uint32Array(values.buffer, values.byteOffset, length * 2),
    hi: new Int32Array(values.buffer, values.byteOffset, length * 2)
  }
}

/** Stores `value` (an integer-valued number) at `index`. */
export const setInt64 = (column: Int64Column, index: number, value: number): void => {
  column.lo[2 * index] = value >>> 0
  column.hi[2 * index + 1] = Math.floor(value / TWO_32)
}

/** Finishes a column filled through `setInt64` (a no-op on little-endian hosts). */
export const sealInt64 = (column: Int64Column): BigInt64Array => {
  if (littleEndian) return column.values
  // Big-endian: the words were written low-first, so rebuild through BigInt once.
  const out = new BigInt64Array(column.values.length)
  for (let i = 0; i < out.length; i++) {
    out[i] = BigInt(column.hi[2 * i + 1]!) * BigInt(TWO_32) + BigInt(column.lo[2 * i]!)
  }
  return out
}

/** Reads an int64 array into numbers. */
export const int64ToNumbers = (values: BigInt64Array): Float64Array => {
  const n = values.length
  const out = new Float64Array(n)
  if (!littleEndian) {
    for (let i = 0; i < n; i++) out[i] = Number(values[i]!)
    return out
  }
  const lo = new Uint32Array(values.buffer, values.byteOffset, n * 2)
  const hi = new Int32Array(values.buffer, values.byteOffset, n * 2)
  for (let i = 0; i < n; i++) out[i] = hi[2 * i + 1]! * TWO_32 + lo[2 * i]!
  return out
}
