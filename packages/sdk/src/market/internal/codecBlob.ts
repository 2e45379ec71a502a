// The bar cache's stored-blob envelope: a 16-byte header (magic "PXB", format version, encoding tag,
// raw length, CRC-32 of the payload) before Arrow IPC stream bytes, raw or lz4-block compressed, so
// a corrupt, truncated or foreign blob is refused before Arrow reads it. Hand-written because the
// lz4 frame format, which could carry a checksum, decodes 1.4–9× slower than the block format
// (bench/cache-formats.ts); the CRC costs ~0.1 ms on a 20k-bar blob.
import * as lz4 from "lz4-napi"
import * as zlib from "node:zlib"
import { freeNow } from "../../internal/freeNow.ts"

/** Header layout (little-endian): 0..2 "PXB", 3 version, 4 encoding, 5..7 zero, 8..11 raw length, 12..15 CRC-32. */
export const HEADER_BYTES = 16
const MAGIC = [0x50, 0x58, 0x42] as const // "PXB"
const VERSION = 1

export const Encoding = {
  /** Arrow IPC stream bytes as they are (small blobs, or blobs lz4 does not shrink). */
  Raw: 0,
  /** lz4 block format (lz4-napi `compressSync`: a 4-byte raw length, then the block). */
  Lz4Block: 1
} as const
export type Encoding = (typeof Encoding)[keyof typeof Encoding]

export interface Encoded {
  readonly blob: Uint8Array
  /** Length of the IPC bytes before compression. */
  readonly rawBytes: number
  readonly encoding: Encoding
}

export interface DecodeFailure {
  readonly reason: "Truncated" | "BadMagic" | "UnknownVersion" | "UnknownEncoding" | "ChecksumMismatch" | "Corrupt"
  readonly message: string
}

const asBuffer = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)

const writeHeader = (blob: Uint8Array, encoding: Encoding, rawBytes: number): void => {
  blob[0] = MAGIC[0]
  blob[1] = MAGIC[1]
  blob[2] = MAGIC[2]
  blob[3] = VERSION
  blob[4] = encoding
  const view = new DataView(blob.buffer, blob.byteOffset, HEADER_BYTES)
  view.setUint32(8, rawBytes, true)
  view.setUint32(12, zlib.crc32(blob.subarray(HEADER_BYTES)), true)
}

/**
 * Wraps IPC bytes: lz4-block compressed when longer than `threshold` bytes and the result is
 * smaller, else raw.
 */
export const encode = (ipc: Uint8Array, threshold: number): Encoded => {
  if (ipc.byteLength > threshold) {
    const compressed = lz4.compressSync(asBuffer(ipc))
    const blob =
      compressed.byteLength < ipc.byteLength ? new Uint8Array(HEADER_BYTES + compressed.byteLength) : undefined
    blob?.set(compressed, HEADER_BYTES)
    // lz4's output (~0.45 MB for 20,000 bars) is copied: free it now.
    freeNow(compressed)
    if (blob !== undefined) {
      writeHeader(blob, Encoding.Lz4Block, ipc.byteLength)
      return { blob, rawBytes: ipc.byteLength, encoding: Encoding.Lz4Block }
    }
  }
  const blob = new Uint8Array(HEADER_BYTES + ipc.byteLength)
  blob.set(ipc, HEADER_BYTES)
  writeHeader(blob, Encoding.Raw, ipc.byteLength)
  return { blob, rawBytes: ipc.byteLength, encoding: Encoding.Raw }
}

const fail = (reason: DecodeFailure["reason"], message: string): DecodeFailure => ({ reason, message })

/**
 * The IPC bytes inside a blob (always a fresh buffer, never a view of the stored blob, so a table
 * handed to a caller cannot alter the stored bytes), or why the blob cannot be trusted.
 */
export const decode = (blob: Uint8Array): Uint8Array | DecodeFailure => {
  if (blob.byteLength < HEADER_BYTES) return fail("Truncated", `blob of ${blob.byteLength} bytes has no header`)
  if (blob[0] !== MAGIC[0] || blob[1] !== MAGIC[1] || blob[2] !== MAGIC[2]) {
    return fail("BadMagic", "blob does not start with PXB")
  }
  if (blob[3] !== VERSION) return fail("UnknownVersion", `blob format version ${blob[3]}`)
  const view = new DataView(blob.buffer, blob.byteOffset, HEADER_BYTES)
  const rawBytes = view.getUint32(8, true)
  const payload = blob.subarray(HEADER_BYTES)
  if (zlib.crc32(payload) !== view.getUint32(12, true)) return fail("ChecksumMismatch", "payload CRC-32 mismatch")
  switch (blob[4]) {
    case Encoding.Raw: {
      if (payload.byteLength !== rawBytes) return fail("Corrupt", "raw payload length mismatch")
      return payload.slice()
    }
    case Encoding.Lz4Block: {
      // lz4-napi prefixes the block with its decoded length; check it before letting it allocate.
      if (
        payload.byteLength < 4 ||
        new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true) !== rawBytes
      ) {
        return fail("Corrupt", "lz4 length prefix mismatch")
      }
      try {
        const out = lz4.uncompressSync(payload)
        return out.byteLength === rawBytes ? out : fail("Corrupt", "lz4 output length mismatch")
      } catch (cause) {
        return fail("Corrupt", `lz4: ${String(cause)}`)
      }
    }
    default:
      return fail("UnknownEncoding", `encoding tag ${blob[4]}`)
  }
}

export const isDecodeFailure = (u: Uint8Array | DecodeFailure): u is DecodeFailure => !(u instanceof Uint8Array)
