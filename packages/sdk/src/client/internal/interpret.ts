/**
 * What one Gateway reply means, as pure functions with no HTTP and no Effect runtime: `interpret` turns a
 * status, headers and body text into the JSON payload to decode or the `Reason` the call failed, and
 * `shouldRetry` says whether another attempt is safe. The transport runs them; the tests call them
 * directly on hand-written replies.
 */
import { type AnyEndpoint, Envelope, errorCodeName } from "@projectx-effect/gateway"
import { Result, Schema, SchemaIssue } from "effect"
import { redactString } from "../../observability/internal/redact.ts"
import {
  Decode,
  type GatewayError,
  HttpStatus,
  RateLimited,
  type Reason,
  Rejected,
  Unauthorized,
  type ValidationError
} from "../Errors.ts"

/** The pause after a 429 that names none. */
export const DEFAULT_RETRY_AFTER_MS = 1_000

/** `Retry-After` in delta-seconds or HTTP-date form, in ms from `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** A body, whitespace folded, secrets scrubbed, at most 200 characters: safe for messages and spans. */
export const excerpt = (body: string): string => {
  const clean = redactString(body.replace(/\s+/g, " ").trim())
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first leaf of a Schema issue: where it is (`["bars"][3]["t"]`) and what was wrong there. */
export const issuePath = (issue: SchemaIssue.Issue): { path: string; message: string } => {
  const first = standardFormatter(issue).issues[0]
  if (first === undefined) return { path: "", message: "invalid value" }
  const path = (first.path ?? [])
    .map(
      (p) =>
        `[${JSON.stringify(typeof p === "object" && p !== null && "key" in p ? p.key : typeof p === "symbol" ? String(p) : p)}]`
    )
    .join("")
  return { path, message: first.message }
}

/** A Schema failure as a `Decode` reason naming the JSON path. */
export const decodeReason = (error: Schema.SchemaError): Reason => {
  const { path, message } = issuePath(error.issue)
  return Decode.make({ path, issue: message })
}

const orderIdOf = (json: unknown): { readonly orderId?: number } => {
  const id = (json as { orderId?: unknown }).orderId
  return typeof id === "number" && Number.isSafeInteger(id) ? { orderId: id } : {}
}

const decodeEnvelope = Schema.decodeUnknownResult(Envelope)

/**
 * The status line's verdict: a `Reason` for 401, 429 (with its `Retry-After`, in ms after `now`) and any
 * other non-2xx status; `undefined` for a 2xx, whose body `readBody` reads next.
 */
export const classifyStatus = (
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  text: string,
  now: number
): Reason | undefined => {
  if (status === 401) return Unauthorized.make({ message: "the Gateway refused the session token (401)" })
  if (status === 429) {
    return RateLimited.make({ retryAfterMs: parseRetryAfter(headers["retry-after"], now) ?? DEFAULT_RETRY_AFTER_MS })
  }
  if (status < 200 || status >= 300) return HttpStatus.make({ status, body: excerpt(text) })
  return undefined
}

/**
 * A 2xx body: the JSON whose payload the endpoint's Schema decodes next, or why it is not acceptable (not
 * JSON, not the envelope, or the envelope's own refusal, named by the endpoint's error code).
 */
export const readBody = (endpoint: AnyEndpoint, text: string): Result.Result<unknown, Reason> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // Status/ping answers a bare `pong` as text/plain unless JSON is negotiated: take the text.
    if (!endpoint.enveloped) return Result.succeed(text)
    return Result.fail(Decode.make({ path: "", issue: `the body is not JSON: ${excerpt(text).slice(0, 80)}` }))
  }
  if (!endpoint.enveloped) return Result.succeed(json)
  // The common case costs two property reads; anything else goes through the Envelope Schema.
  if (
    typeof json === "object" &&
    json !== null &&
    (json as { success?: unknown }).success === true &&
    (json as { errorCode?: unknown }).errorCode === 0
  ) {
    return Result.succeed(json)
  }
  const envelope = decodeEnvelope(json)
  if (Result.isFailure(envelope)) return Result.fail(decodeReason(envelope.failure))
  const { success, errorCode, errorMessage } = envelope.success
  if (success && errorCode === 0) return Result.succeed(json)
  return Result.fail(
    Rejected.make({
      code: errorCode,
      name: success ? "Unknown" : errorCodeName(endpoint.errors, errorCode),
      message: errorMessage ?? null,
      ...orderIdOf(json)
    })
  )
}

/** `classifyStatus`, then `readBody`: the whole reply's meaning. */
export const interpret = (
  endpoint: AnyEndpoint,
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  text: string,
  now: number
): Result.Result<unknown, Reason> => {
  const failed = classifyStatus(status, headers, text, now)
  return failed === undefined ? readBody(endpoint, text) : Result.fail(failed)
}

/**
 * Whether a failed attempt may be tried again. A 429 was not executed and a connection that never sent a
 * byte reached nobody, so those retry everywhere; timeouts, resets after sending, 5xx and 408 only where the
 * endpoint table marks the endpoint retry-safe (reads), since an order may have executed.
 */
export const shouldRetry = (endpoint: AnyEndpoint, error: GatewayError | ValidationError): boolean => {
  if (error._tag !== "GatewayError") return false
  const r = error.reason
  if (r._tag === "RateLimited") return true
  if (r._tag === "Transport" && !r.sent) return true
  if (!endpoint.retrySafe) return false
  return (
    r._tag === "Transport" || r._tag === "Timeout" || (r._tag === "HttpStatus" && (r.status >= 500 || r.status === 408))
  )
}
