/**
 * The error classes both entry points export by name (`@projectx-effect/sdk` and `/promise`): listed
 * once here, so a new class cannot reach one entry point and miss the other.
 */
export {
  AccountNotFound,
  AmbiguousOrder,
  Cancelled,
  ConfigurationError,
  ContractNotFound,
  GatewayError,
  OutcomeUnknown,
  ValidationError
} from "./Errors.ts"
export { RealtimeOverflow, SubscriptionRefused } from "../realtime/Events.ts"
export { OrderNotFilled, OrderTimeout } from "../state/Errors.ts"
