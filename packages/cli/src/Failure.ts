/**
 * What a failure means to the person (or script) running the CLI: an exit code by kind, the SDK's
 * message (which already names the operation and the reason), and one line on what to do next.
 * Expected failures never print a stack trace; only defects (bugs) do.
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as CliError from "effect/cli/CliError"

/** Exit codes, documented in the README. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  BadInput: 2,
  NotFound: 3,
  Auth: 4,
  Unavailable: 5
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** A bad flag or argument the CLI itself refused (before any request). */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
  readonly hint?: string | undefined
}> {}

/** Nothing to act on, found by the CLI's own lookup (no open position on the contract, say): exit 3. */
export class NotFound extends Data.TaggedError("NotFound")<{
  readonly message: string
  readonly hint?: string | undefined
}> {}

/** A failure the CLI has already reported (a demo step, an unhealthy report): only its exit code remains. */
export class Reported extends Data.TaggedError("Reported")<{
  readonly code: ExitCode
  readonly message: string
}> {}

export interface Described {
  readonly code: ExitCode
  /** The error's tag (`GatewayError`, `ContractNotFound`, …). */
  readonly tag: string
  readonly message: string
  /** What to do about it, when there is something useful to say. */
  readonly hint: string | undefined
}

/** The Gateway's login refusals (LoginErrorCode names): the credentials or the subscription. */
const authRejections = new Set([
  "UserNotFound",
  "PasswordVerificationFailed",
  "InvalidCredentials",
  "AppNotFound",
  "AppVerificationFailed",
  "InvalidDevice",
  "AgreementsNotSigned",
  "ApiSubscriptionNotFound",
  "ApiKeyAuthenticationDisabled"
])

const notFoundRejections = new Set(["ContractNotFound", "OrderNotFound", "AccountNotFound", "PositionNotFound"])

const credentialsHint =
  "check PROJECT_X_USERNAME (your platform login, not your e-mail) and PROJECT_X_API_KEY, and that --firm / PROJECTX_API_URL point at your firm"

interface GatewayErrorLike {
  readonly _tag: "GatewayError"
  readonly operation: string
  readonly message: string
  readonly reason: {
    readonly _tag: string
    readonly name?: string
    readonly status?: number
    readonly sent?: boolean
  }
}

const isTagged = (u: unknown): u is { readonly _tag: string; readonly message?: unknown } =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

const messageOf = (u: { readonly message?: unknown }, fallback: string): string =>
  typeof u.message === "string" && u.message.length > 0 ? u.message : fallback

const describeGateway = (e: GatewayErrorLike): Described => {
  const r = e.reason
  const base = { tag: e._tag, message: e.message }
  switch (r._tag) {
    case "Unauthorized":
      return { ...base, code: ExitCode.Auth, hint: credentialsHint }
    case "Rejected":
      if (r.name !== undefined && authRejections.has(r.name)) {
        return { ...base, code: ExitCode.Auth, hint: e.message.includes(" — ") ? undefined : credentialsHint }
      }
      if (r.name !== undefined && notFoundRejections.has(r.name))
        return { ...base, code: ExitCode.NotFound, hint: undefined }
      return { ...base, code: ExitCode.Failure, hint: undefined }
    case "Transport":
    case "Timeout":
      return {
        ...base,
        code: ExitCode.Unavailable,
        hint: "the Gateway did not answer: check your network and the URL (--firm, --api-url or PROJECTX_API_URL); PROJECTX_TIMEOUT_SECONDS sets the timeout"
      }
    case "CircuitOpen":
      return { ...base, code: ExitCode.Unavailable, hint: "the Gateway has been failing; wait a moment and try again" }
    case "RateLimited":
      return { ...base, code: ExitCode.Unavailable, hint: "the Gateway's rate limit was hit; wait and try again" }
    case "HttpStatus":
      return (r.status ?? 0) >= 500
        ? { ...base, code: ExitCode.Unavailable, hint: "the Gateway is failing; try again later" }
        : (r.status ?? 0) === 401 || (r.status ?? 0) === 403
          ? { ...base, code: ExitCode.Auth, hint: credentialsHint }
          : (r.status ?? 0) === 404
            ? {
                ...base,
                code: ExitCode.Unavailable,
                hint: "this URL does not serve the ProjectX Gateway: check --firm, --api-url or PROJECTX_API_URL"
              }
            : { ...base, code: ExitCode.Failure, hint: undefined }
    default:
      return { ...base, code: ExitCode.Failure, hint: undefined }
  }
}

/** Classifies one failure value. */
export const describe = (error: unknown): Described => {
  if (CliError.isCliError(error)) {
    return { code: ExitCode.BadInput, tag: error._tag, message: messageOf(error, error._tag), hint: undefined }
  }
  if (!isTagged(error)) {
    return { code: ExitCode.Failure, tag: "Error", message: String(error), hint: undefined }
  }
  const message = messageOf(error, error._tag)
  switch (error._tag) {
    case "GatewayError":
      return describeGateway(error as unknown as GatewayErrorLike)
    case "ValidationError":
      return { code: ExitCode.BadInput, tag: error._tag, message, hint: undefined }
    case "ConfigurationError":
      return {
        code: ExitCode.BadInput,
        tag: error._tag,
        message,
        hint: "set it in the environment (see `projectx --help` and the README); `projectx sim` prints working values for the simulator"
      }
    case "UsageError":
      return { code: ExitCode.BadInput, tag: error._tag, message, hint: (error as UsageError).hint }
    case "ContractNotFound":
      return {
        code: ExitCode.NotFound,
        tag: error._tag,
        message,
        hint: "`projectx contracts search <text>` lists what the Gateway knows"
      }
    case "AccountNotFound":
      return {
        code: ExitCode.NotFound,
        tag: error._tag,
        message,
        hint: "pick one with --account <name> or PROJECT_X_ACCOUNT_NAME"
      }
    case "AmbiguousOrder":
      return { code: ExitCode.Failure, tag: error._tag, message, hint: "`projectx orders list` shows what was placed" }
    case "NotFound":
      return { code: ExitCode.NotFound, tag: error._tag, message, hint: (error as NotFound).hint }
    case "Reported":
      return { code: (error as Reported).code, tag: error._tag, message, hint: undefined }
    default:
      return { code: ExitCode.Failure, tag: error._tag, message, hint: undefined }
  }
}

/** Classifies a Cause: its first failure, else a defect (code 1, with the defect's text). */
export const describeCause = (cause: Cause.Cause<unknown>): Described & { readonly defect: unknown } => {
  const failure = cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) return { ...describe(failure.error), defect: undefined }
  const die = cause.reasons.find(Cause.isDieReason)
  const defect = die?.defect
  return {
    code: ExitCode.Failure,
    tag: "Defect",
    message: defect instanceof Error ? defect.message : String(defect),
    hint: "this is a bug in projectx; please report it with the command you ran",
    defect
  }
}
