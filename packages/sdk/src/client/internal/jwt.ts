/**
 * Reads the `exp` and `iat` claims of a JWT without verifying it: the SDK only needs to know when the
 * Gateway will stop accepting the token, to refresh it ahead of time. The token itself never leaves
 * this function in any form.
 */

export interface JwtTimes {
  /** Epoch milliseconds, when present. */
  readonly expiresAt: number | undefined
  readonly issuedAt: number | undefined
}

const decodeSegment = (segment: string): unknown => {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/")
  return JSON.parse(Buffer.from(base64, "base64").toString("utf8"))
}

export const readJwtTimes = (token: string): JwtTimes => {
  const parts = token.split(".")
  if (parts.length !== 3) return { expiresAt: undefined, issuedAt: undefined }
  try {
    const payload = decodeSegment(parts[1]!) as { exp?: unknown; iat?: unknown }
    const seconds = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v * 1000 : undefined)
    return { expiresAt: seconds(payload.exp), issuedAt: seconds(payload.iat) }
  } catch {
    return { expiresAt: undefined, issuedAt: undefined }
  }
}
