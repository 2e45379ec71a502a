/**
 * The SDK's error family. Every Gateway call fails with one `GatewayError` whose `reason` says what went
 * wrong (a tagged union) and whether trying again can help; the SDK's own checks fail before any request
 * with `ValidationError`, `ConfigurationError`, `ContractNotFound`, `AccountNotFound` or `AmbiguousOrder`.
 * Messages name the operation and what to do next, and never carry an API key or a JWT.
 */
import { Schema } from "effect"

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
/** The response did not match the contract: `path` locates the offending value. */
export const Decode = Schema.TaggedStruct("Decode", { path: Schema.String, issue: Schema.String })
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
      return false
  }
}

/**
 * Whether a failure leaves it unknown if the Gateway executed the request: the request left, and no
 * answer said it was refused. For orders this is the case that needs reconciliation, never a resend.
 */
export const isAmbiguous = (reason: Reason): boolean =>
  (reason._tag === "Transport" && reason.sent) ||
  reason._tag === "Timeout" ||
  (reason._tag === "HttpStatus" && reason.status >= 500) ||
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
      return `Decode: unexpected response at ${reason.path || "(root)"}: ${reason.issue}`
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
