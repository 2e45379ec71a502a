/**
 * The SDK's error family. Every Gateway call fails with one `GatewayError` whose `reason` says what went
 * wrong (a tagged union) and whether trying again can help; the SDK's own checks fail before any request
 * with `ValidationError`, `ConfigurationError`, `ContractNotFound` or `AccountNotFound`; an outcome that
 * stays unknown after reconciliation is `AmbiguousOrder` (placement) or `OutcomeUnknown` (the rest).
 * Messages name the operation and what to do next, and never carry an API key or a JWT.
 */
import * as Schema from "effect/Schema"

const Millis = Schema.Number

/** 401 twice in a row, or a login the Gateway refused. */
export const Unauthorized = Schema.TaggedStruct("Unauthorized", { message: Schema.String })
/** 429: the request was not executed; `retryAfterMs` is the server's (or our default) pause. */
export const RateLimited = Schema.TaggedStruct("RateLimited", { retryAfterMs: Millis })
/** The circuit breaker for this endpoint group is open: no request was sent. */
export const CircuitOpen = Schema.TaggedStruct("CircuitOpen", { group: Schema.String, retryAfterMs: Millis })
/** The connection failed or dropped. `sent` is false only when the request provably never left. */
export const Transport = Schema.TaggedStruct("Transport", { message: Schema.String, sent: Schema.Boolean })
/** No response within the per-request timeout. The request may have been executed. */
export const Timeout = Schema.TaggedStruct("Timeout", { timeoutMs: Millis })
/** An HTTP status other than 200/401/429, with a short excerpt of the body (4xx) for debugging. */
export const HttpStatus = Schema.TaggedStruct("HttpStatus", { status: Schema.Number, body: Schema.String })
/**
 * A 2xx response that did not match the contract: `path` locates the offending value. `ambiguous` is set
 * on an endpoint that is not retry-safe: the Gateway accepted the request, so it may have executed it.
 */
export const Decode = Schema.TaggedStruct("Decode", {
  path: Schema.String,
  issue: Schema.String,
  ambiguous: Schema.optionalKey(Schema.Boolean)
})
/**
 * The response body passed the size cap (`maxResponseBytes`); the connection was dropped. `ambiguous` as
 * for `Decode`: set when the endpoint is not retry-safe and the reply was a 2xx.
 */
export const TooLarge = Schema.TaggedStruct("TooLarge", {
  limitBytes: Schema.Number,
  ambiguous: Schema.optionalKey(Schema.Boolean)
})
/**
 * The Gateway answered `success: false` with one of the endpoint's own error codes, reported by name
 * (`OrderRejected`, `ContractNotFound`, `InsufficientFunds`, …) with its message when it sent one.
 */
export const Rejected = Schema.TaggedStruct("Rejected", {
  code: Schema.Number,
  name: Schema.String,
  message: Schema.NullOr(Schema.String),
  /** A refused placement can still carry the id of the Rejected order row it created (§4.4). */
  orderId: Schema.optionalKey(Schema.Number)
})

export const Reason = Schema.Union([
  Unauthorized,
  RateLimited,
  CircuitOpen,
  Transport,
  Timeout,
  HttpStatus,
  Decode,
  TooLarge,
  Rejected
])
export type Reason = typeof Reason.Type

/** Codes that mean "the server is busy or did not decide": trying again later can succeed. */
const retryableRejections = new Set(["OrderPending", "Pending", "UnknownError"])

/** Whether trying the same request again (later) can succeed. It says nothing about whether it is safe. */
export const isRetryable = (reason: Reason): boolean => {
  switch (reason._tag) {
    case "RateLimited":
    case "CircuitOpen":
    case "Transport":
    case "Timeout":
      return true
    case "HttpStatus":
      return reason.status >= 500 || reason.status === 408
    case "Rejected":
      return retryableRejections.has(reason.name)
    case "Unauthorized":
    case "Decode":
    case "TooLarge":
      return false
  }
}

/**
 * Whether a failure leaves it unknown if the Gateway executed the request: the request left, and no
 * definite answer said it was refused (a timeout, a reset after sending, 5xx, 408, a pending code, or a
 * 2xx reply to a non-retry-safe endpoint that could not be read). For orders this is the case that needs
 * reconciliation, never a blind resend.
 */
export const isAmbiguous = (reason: Reason): boolean =>
  (reason._tag === "Transport" && reason.sent) ||
  reason._tag === "Timeout" ||
  (reason._tag === "HttpStatus" && (reason.status >= 500 || reason.status === 408)) ||
  ((reason._tag === "Decode" || reason._tag === "TooLarge") && reason.ambiguous === true) ||
  (reason._tag === "Rejected" && (reason.name === "OrderPending" || reason.name === "Pending"))

const hints: Record<string, string> = {
  InvalidCredentials: "check PROJECT_X_USERNAME (your platform login, not your e-mail) and PROJECT_X_API_KEY",
  UserNotFound: "check PROJECT_X_USERNAME (your platform login, not your e-mail)",
  ApiSubscriptionNotFound: "subscribe to API access in your firm's platform and link it to this profile",
  ApiKeyAuthenticationDisabled: "this firm has disabled API-key login; ask its support",
  AgreementsNotSigned: "log into the ProjectX platform and complete the required agreements",
  ContractNotActive: "use the front-month contract (Instruments.resolve picks it)",
  OutsideTradingHours: "the market is closed for this contract",
  AccountViolation: "the account is in violation of its rules; check the platform",
  InsufficientFunds: "reduce the size or add funds",
  AccountRejected: "this account cannot do this through the API (a live, follower or non-trading account)"
}

const describe = (reason: Reason): string => {
  switch (reason._tag) {
    case "Unauthorized":
      return `Unauthorized: ${reason.message}`
    case "RateLimited":
      return `RateLimited: the Gateway asked us to wait ${reason.retryAfterMs} ms (429)`
    case "CircuitOpen":
      return `CircuitOpen: "${reason.group}" calls are failing; no request sent, retry in ${Math.ceil(reason.retryAfterMs)} ms`
    case "Transport":
      return `Transport: ${reason.message}${reason.sent ? "" : " (the request was not sent)"}`
    case "Timeout":
      return `Timeout: no response within ${reason.timeoutMs} ms; the request may have been executed`
    case "HttpStatus":
      return `HTTP ${reason.status}${reason.body.length > 0 ? `: ${reason.body}` : ""}`
    case "Decode":
      return `Decode: unexpected response at ${reason.path || "(root)"}: ${reason.issue}${
        reason.ambiguous === true ? "; the request may have been executed" : ""
      }`
    case "TooLarge":
      return `TooLarge: the response passed ${reason.limitBytes} bytes (maxResponseBytes); the connection was dropped${
        reason.ambiguous === true ? "; the request may have been executed" : ""
      }`
    case "Rejected": {
      const hint = hints[reason.name]
      return `${reason.name} (${reason.code})${reason.message ? `: ${reason.message}` : ""}${
        reason.orderId === undefined ? "" : ` [order ${reason.orderId}]`
      }${hint ? ` — ${hint}` : ""}`
    }
  }
}

/** A Gateway call failed. `operation` is the endpoint's name ("PlaceOrder"); `reason` says why. */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  operation: Schema.String,
  reason: Reason
}) {
  override get message(): string {
    return `${this.operation}: ${describe(this.reason)}`
  }
  get retryable(): boolean {
    return isRetryable(this.reason)
  }
  get ambiguous(): boolean {
    return isAmbiguous(this.reason)
  }
}

/** A request the SDK refused to send: `field` is wrong; `allowed` says what would be accepted. */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  operation: Schema.String,
  field: Schema.String,
  allowed: Schema.String,
  got: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    return `${this.operation}: invalid ${this.field}${this.got === undefined ? "" : ` (${this.got})`}; ${this.allowed}`
  }
}

/** A missing or malformed setting: names the variable (or option) and what it expects. */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", {
  variable: Schema.String,
  expected: Schema.String,
  got: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    return this.got === undefined
      ? `${this.variable} is not set: expected ${this.expected}`
      : `${this.variable} is invalid (${this.got}): expected ${this.expected}`
  }
}

/** No contract matches a symbol; `suggestions` are the closest names the Gateway knows. */
export class ContractNotFound extends Schema.TaggedError<ContractNotFound>()("ContractNotFound", {
  symbol: Schema.String,
  suggestions: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `No contract matches "${this.symbol}"${
      this.suggestions.length > 0 ? `; did you mean ${this.suggestions.join(", ")}?` : ""
    }`
  }
}

/** The requested account does not exist (or is not active); lists the names that do. */
export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  requested: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return this.available.length === 0
      ? `No account "${this.requested}": this login has no active accounts`
      : `No account "${this.requested}"; available: ${this.available.join(", ")}`
  }
}

/**
 * A placement failed in a way that leaves it unknown whether the Gateway executed it, and the lookup by
 * `customTag` could not settle it. Nothing was resent. Reconcile by searching for `customTag`.
 */
export class AmbiguousOrder extends Schema.TaggedError<AmbiguousOrder>()("AmbiguousOrder", {
  operation: Schema.String,
  customTag: Schema.String,
  accountId: Schema.Number,
  cause: Schema.String
}) {
  override get message(): string {
    return `${this.operation}: the outcome is unknown (${this.cause}); nothing was resent. Search orders for customTag "${this.customTag}" on account ${this.accountId} before trying again`
  }
}

/**
 * A modify, cancel or close whose reply was lost (or unreadable), and reading the state back could not
 * settle whether it took effect: `subject` is what was acted on, `observed` what the read-back showed (or
 * why it failed). Nothing was resent. Check the subject's state before acting again.
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  operation: Schema.String,
  subject: Schema.String,
  cause: Schema.String,
  observed: Schema.String
}) {
  override get message(): string {
    return `${this.operation}: whether it took effect on ${this.subject} is unknown (${this.cause}); read back: ${this.observed}. Nothing was resent`
  }
  /** Always true: the point of this error. */
  get ambiguous(): boolean {
    return true
  }
}

/**
 * A Promise-facade call or wait that ended before its result because it was cancelled: `why` is "aborted"
 * (its `AbortSignal`) or "disposed" (the client, or the state object it belongs to, was disposed while it
 * was pending). Cancelling stops the wait, not the Gateway: an order placement cancelled mid-flight may
 * still have been placed — look it up by its `customTag` (`orders.findByTag`) before placing again.
 */
export class Cancelled extends Schema.TaggedError<Cancelled>()("Cancelled", {
  operation: Schema.String,
  why: Schema.Literals(["aborted", "disposed"])
}) {
  override get message(): string {
    return this.why === "aborted"
      ? `${this.operation}: cancelled by its AbortSignal before it completed`
      : `${this.operation}: cancelled because its client (or state object) was disposed before it completed`
  }
}
