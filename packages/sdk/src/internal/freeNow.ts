/**
 * Frees a large buffer of our own as soon as its bytes are no longer needed (ES2024
 * `ArrayBuffer.prototype.transfer(0)` detaches it), instead of at a major GC that a process with a quiet
 * heap may not run for many bars misses. Only for buffers nothing else views: afterwards every view of it
 * reads as empty. A view that does not span its whole ArrayBuffer (a pooled Buffer shares its pool) is left
 * alone, as is everything where `transfer` is missing.
 */
export const freeNow = (bytes: ArrayBufferView): void => {
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return
  ;(bytes.buffer as { transfer?: (length: number) => unknown }).transfer?.(0)
}
