// Registers LZ4_FRAME (lz4-napi) and ZSTD (node:zlib) codecs in Arrow's compressionRegistry on first
// use, so IPC with compressed bodies (pyarrow's Feather default) can be read and written. Arrow JS
// bundles no codec; a codec the application registered itself is left in place.
import { CompressionType } from "apache-arrow/fb/compression-type"
import { compressionRegistry } from "apache-arrow/ipc/compression/registry"
import * as lz4 from "lz4-napi"
import * as zlib from "node:zlib"

const asBuffer = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)

let registered = false

export const ensureArrowCodecs = (): void => {
  if (registered) return
  registered = true
  if (compressionRegistry.get(CompressionType.LZ4_FRAME) === null) {
    compressionRegistry.set(CompressionType.LZ4_FRAME, {
      encode: (u8) => lz4.compressFrameSync(asBuffer(u8)),
      decode: (u8) => lz4.decompressFrameSync(asBuffer(u8))
    })
  }
  if (compressionRegistry.get(CompressionType.ZSTD) === null && typeof zlib.zstdCompressSync === "function") {
    compressionRegistry.set(CompressionType.ZSTD, {
      encode: (u8) => zlib.zstdCompressSync(u8),
      decode: (u8) => zlib.zstdDecompressSync(u8)
    })
  }
}
