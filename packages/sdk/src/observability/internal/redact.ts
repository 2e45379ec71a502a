/**
 * Scrubs secrets out of telemetry before it leaves the process: span attributes, event attributes,
 * log-like strings. Keys that name a credential lose their value; any string that contains a JWT or a
 * bearer credential has that part replaced, whatever its key.
 */
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Headers from "effect/http/Headers"
import * as UrlParams from "effect/http/UrlParams"

/** The placeholder written instead of a secret. Matches what Effect's HttpClient writes for headers. */
export const REDACTED = "<redacted>"

// Normalised (lower case, no separators) last segments of attribute keys that always carry a secret.
const sensitiveNames: ReadonlySet<string> = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "token",
  "jwt",
  "bearer",
  "apikey",
  "secret",
  "password",
  "passwd",
  "credential",
  "credentials",
  "privatekey"
])

// "auth.token_expires_at" stays readable (it ends in "expiresat"), "newToken" and "x-api-key" do not.
const sensitiveSuffixes: ReadonlyArray<string> = ["token", "apikey", "secret", "password"]

/**
 * Whether an attribute key names a credential. Only the last dotted segment counts, so
 * `http.request.header.authorization` and `projectx.newToken` match while `auth.token_expires_at`
 * and `ratelimiter.tokens` do not.
 */
export const isSensitiveKey = (key: string): boolean => {
  const last = key.slice(key.lastIndexOf(".") + 1)
  const normalised = last.toLowerCase().replace(/[-_\s]/g, "")
  if (sensitiveNames.has(normalised)) return true
  for (const suffix of sensitiveSuffixes) {
    if (normalised.endsWith(suffix)) return true
  }
  return false
}

// A JWT is three base64url parts and its header always starts with `{"`, which encodes to "eyJ".
const jwtPattern = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g
const bearerPattern = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi

/** Replaces every JWT-looking substring and every `Bearer …` / `Basic …` credential in a string. */
export const redactString = (value: string): string => {
  let out = value
  if (out.includes("eyJ")) out = out.replace(jwtPattern, REDACTED)
  if (/bearer|basic/i.test(out)) {
    out = out.replace(bearerPattern, (_match, scheme: string) => `${scheme} ${REDACTED}`)
  }
  return out
}

const maxDepth = 6

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const redactInner = (key: string, value: unknown, depth: number): unknown => {
  if (key !== "" && isSensitiveKey(key)) return REDACTED
  if (typeof value === "string") return redactString(value)
  if (Redacted.isRedacted(value)) return REDACTED
  if (depth >= maxDepth) return value
  if (Array.isArray(value)) return value.map((item) => redactInner("", item, depth + 1))
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value)) out[k] = redactInner(k, value[k], depth + 1)
    return out
  }
  return value
}

/** The value to record for an attribute: the placeholder for credential keys, else the value with secrets scrubbed. */
export const redactValue = (key: string, value: unknown): unknown => redactInner(key, value, 0)

/** A copy of an attribute record with every credential replaced by {@link REDACTED}. */
export const redactAttributes = (attributes: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(attributes)) out[key] = redactInner(key, attributes[key], 0)
  return out
}

/** Header names Effect's HttpClient must never write to a span (it writes none unless header capture is on). */
export const redactedHeaderNames: ReadonlyArray<string | RegExp> = [
  ...Headers.CurrentRedactedNames.defaultValue(),
  "proxy-authorization",
  /token/i,
  /api[-_]?key/i,
  /secret/i
]

/** Query parameters Effect's HttpClient must redact in `url.full` (SignalR puts the JWT in `access_token`). */
export const redactedUrlParamNames: ReadonlyArray<string | RegExp> = [
  ...UrlParams.CurrentRedactedNames.defaultValue(),
  "access_token",
  /token/i,
  /api[-_]?key/i
]

/**
 * Widens Effect's own redaction lists (`Headers.CurrentRedactedNames`, `UrlParams.CurrentRedactedNames`)
 * with the Gateway's credentials. Every telemetry layer here includes it.
 */
export const layerRedaction: Layer.Layer<never> = Layer.mergeAll(
  Layer.succeed(Headers.CurrentRedactedNames)(redactedHeaderNames),
  Layer.succeed(UrlParams.CurrentRedactedNames)(redactedUrlParamNames)
)
