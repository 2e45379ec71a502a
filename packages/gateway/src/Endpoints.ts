/**
 * The endpoint table: for every Gateway operation its path, method, rate-limit bucket, whether a retry
 * is safe, the request and response Schemas and its error-code enum. The SDK and the simulator both
 * read this table; nothing else spells a path.
 */
import * as Schema from "effect/Schema"
import {
  AggregateBarUnitSchema,
  OrderSideSchema,
  OrderSortFieldSchema,
  OrderTypeSchema,
  SortDirectionSchema
} from "./Enums.ts"
import {
  CancelOrderErrorCode,
  ClosePositionErrorCode,
  type ErrorCodeTable,
  ListAvailableContractErrorCode,
  LoginErrorCode,
  LogoutErrorCode,
  ModifyOrderErrorCode,
  PartialClosePositionErrorCode,
  PlaceOrderErrorCode,
  RetrieveBarErrorCode,
  SearchAccountErrorCode,
  SearchContractByIdErrorCode,
  SearchContractErrorCode,
  SearchOrderByIdErrorCode,
  SearchOrderErrorCode,
  SearchPositionErrorCode,
  SearchTradeErrorCode,
  ValidateErrorCode
} from "./ErrorCodes.ts"
import {
  Bar,
  Bracket,
  Contract,
  HalfTrade,
  Id,
  Order,
  OrderQueryFilter,
  Position,
  Price,
  TradingAccount
} from "./Models.ts"
import { Timestamp } from "./Timestamp.ts"

/** Which of the Gateway's two rate-limit buckets an endpoint draws from (gateway-api.md §7). */
export type Bucket = "history" | "general"

export interface Endpoint<
  Name extends string = string,
  Req extends Schema.Top = Schema.Top,
  Res extends Schema.Top = Schema.Top,
  Codes extends ErrorCodeTable = ErrorCodeTable
> {
  /** The operation's name, used in errors and spans: "PlaceOrder". */
  readonly name: Name
  /** The path under the REST base: "/api/Order/place". */
  readonly path: string
  readonly method: "POST" | "GET"
  readonly bucket: Bucket
  /** True when sending the request twice cannot change anything (reads, login). Orders are never retried. */
  readonly retrySafe: boolean
  /** True when the request needs `Authorization: Bearer <token>`. */
  readonly authenticated: boolean
  /** False for endpoints that declare no body (validate, logout, ping). */
  readonly hasBody: boolean
  /** False only for Status/ping, which answers a bare string. */
  readonly enveloped: boolean
  readonly request: Req
  /** The successful response: the envelope plus the payload fields. */
  readonly response: Res
  readonly errors: Codes
}

/** Any endpoint of the table, for code that handles them generically. */
export type AnyEndpoint = Endpoint<string, Schema.Top, Schema.Top, ErrorCodeTable>

/** The fields every enveloped response carries. Decoded first, before the payload. */
export const Envelope = Schema.Struct({
  success: Schema.Boolean,
  errorCode: Schema.Int,
  errorMessage: Schema.optionalKey(Schema.NullOr(Schema.String))
}).annotate({ identifier: "Envelope" })
export type Envelope = typeof Envelope.Type

const envelopeFields = Envelope.fields

const response = <Fields extends Schema.Struct.Fields>(identifier: string, fields: Fields) =>
  Schema.Struct({ ...envelopeFields, ...fields }).annotate({ identifier })

const nullable = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

/** The request of an endpoint that declares no body. */
export const NoBody = Schema.Struct({}).annotate({ identifier: "NoBody" })

// ---------------------------------------------------------------------------------------------------
// Auth (§3)

export const LoginApiKeyRequest = Schema.Struct({ userName: Schema.String, apiKey: Schema.String }).annotate({
  identifier: "LoginApiKeyRequest"
})
export const LoginAppRequest = Schema.Struct({
  userName: Schema.String,
  password: Schema.String,
  deviceId: Schema.String,
  appId: Schema.String,
  verifyKey: Schema.String
}).annotate({ identifier: "LoginAppRequest" })
export const LoginResponse = response("LoginResponse", { token: Schema.String })
export const ValidateResponse = response("ValidateResponse", { newToken: Schema.String })
export const LogoutResponse = response("LogoutResponse", {})

// Accounts (§4.1)
export const SearchAccountRequest = Schema.Struct({ onlyActiveAccounts: Schema.Boolean }).annotate({
  identifier: "SearchAccountRequest"
})
export const SearchAccountResponse = response("SearchAccountResponse", { accounts: Schema.Array(TradingAccount) })

// Contracts (§4.2)
export const SearchContractRequest = Schema.Struct({
  searchText: nullable(Schema.String),
  live: Schema.Boolean
}).annotate({ identifier: "SearchContractRequest" })
export const SearchContractResponse = response("SearchContractResponse", { contracts: Schema.Array(Contract) })
export const SearchContractByIdRequest = Schema.Struct({ contractId: Schema.String }).annotate({
  identifier: "SearchContractByIdRequest"
})
export const SearchContractByIdResponse = response("SearchContractByIdResponse", { contract: Contract })
export const ListAvailableContractRequest = Schema.Struct({ live: Schema.Boolean }).annotate({
  identifier: "ListAvailableContractRequest"
})
export const ListAvailableContractResponse = response("ListAvailableContractResponse", {
  contracts: Schema.Array(Contract)
})

// History (§4.3)
export const RetrieveBarsRequest = Schema.Struct({
  contractId: Schema.String,
  live: Schema.Boolean,
  startTime: Timestamp,
  endTime: Timestamp,
  unit: AggregateBarUnitSchema,
  unitNumber: Schema.Int,
  limit: Schema.Int,
  includePartialBar: Schema.Boolean
}).annotate({ identifier: "RetrieveBarsRequest" })
export const RetrieveBarsResponse = response("RetrieveBarsResponse", { bars: Schema.Array(Bar) })

/**
 * The largest `unitNumber` per unit (AggregateBarUnit 1 Second … 6 Month): a bar of at most ~10 years.
 * The Gateway's own range is undocumented (UnitNumberInvalid, §4.3); the simulator refuses past these
 * and the CLI checks them before sending, so a typo is caught locally instead of as a Gateway code.
 */
export const maxUnitNumber: Readonly<Record<number, number>> = {
  1: 86_400,
  2: 43_200,
  3: 8_760,
  4: 3_660,
  5: 520,
  6: 120
}

// Orders (§4.4)
export const PlaceOrderRequest = Schema.Struct({
  accountId: Id,
  contractId: Schema.String,
  type: OrderTypeSchema,
  side: OrderSideSchema,
  size: Schema.Int,
  limitPrice: nullable(Price),
  stopPrice: nullable(Price),
  trailPrice: nullable(Price),
  customTag: nullable(Schema.String),
  stopLossBracket: nullable(Bracket),
  takeProfitBracket: nullable(Bracket)
}).annotate({ identifier: "PlaceOrderRequest" })
/** `orderId` may be present even on a rejection: never infer success from it (§4.4). */
export const PlaceOrderResponse = response("PlaceOrderResponse", { orderId: Id })

export const ModifyOrderRequest = Schema.Struct({
  accountId: Id,
  orderId: Id,
  size: nullable(Schema.Int),
  limitPrice: nullable(Price),
  stopPrice: nullable(Price),
  trailPrice: nullable(Price)
}).annotate({ identifier: "ModifyOrderRequest" })
export const ModifyOrderResponse = response("ModifyOrderResponse", {})

export const CancelOrderRequest = Schema.Struct({ accountId: Id, orderId: Id }).annotate({
  identifier: "CancelOrderRequest"
})
export const CancelOrderResponse = response("CancelOrderResponse", {})

export const SearchOrderRequest = Schema.Struct({
  accountId: Id,
  startTimestamp: Timestamp,
  endTimestamp: nullable(Timestamp)
}).annotate({ identifier: "SearchOrderRequest" })
export const SearchOrderResponse = response("SearchOrderResponse", { orders: Schema.Array(Order) })

export const SearchOpenOrderRequest = Schema.Struct({ accountId: Id }).annotate({
  identifier: "SearchOpenOrderRequest"
})

export const SearchOrderByIdRequest = Schema.Struct({ accountId: Id, orderId: Id }).annotate({
  identifier: "SearchOrderByIdRequest"
})
export const SearchOrderByIdResponse = response("SearchOrderByIdResponse", { order: Order })

export const SearchOrdersQueryRequest = Schema.Struct({
  filter: OrderQueryFilter,
  pageSize: nullable(Schema.Int),
  pageOffset: nullable(Schema.Int),
  sortBy: nullable(OrderSortFieldSchema),
  sortDirection: nullable(SortDirectionSchema),
  includeTotalCount: nullable(Schema.Boolean)
}).annotate({ identifier: "SearchOrdersQueryRequest" })
export const SearchOrdersQueryResponse = response("SearchOrdersQueryResponse", {
  orders: Schema.Array(Order),
  totalCount: nullable(Schema.Int)
})

// Positions (§4.5)
export const SearchPositionRequest = Schema.Struct({ accountId: Id }).annotate({ identifier: "SearchPositionRequest" })
export const SearchPositionResponse = response("SearchPositionResponse", { positions: Schema.Array(Position) })
export const ClosePositionRequest = Schema.Struct({ accountId: Id, contractId: Schema.String }).annotate({
  identifier: "ClosePositionRequest"
})
export const ClosePositionResponse = response("ClosePositionResponse", {})
export const PartialClosePositionRequest = Schema.Struct({
  accountId: Id,
  contractId: Schema.String,
  size: Schema.Int
}).annotate({ identifier: "PartialClosePositionRequest" })
export const PartialClosePositionResponse = response("PartialClosePositionResponse", {})

// Trades (§4.6)
export const SearchTradeRequest = Schema.Struct({
  accountId: Id,
  startTimestamp: Timestamp,
  endTimestamp: nullable(Timestamp)
}).annotate({ identifier: "SearchTradeRequest" })
export const SearchTradeResponse = response("SearchTradeResponse", { trades: Schema.Array(HalfTrade) })

// Status (§4.7)
export const PingResponse = Schema.String.annotate({ identifier: "PingResponse" })

// ---------------------------------------------------------------------------------------------------

const endpoint = <
  const Name extends string,
  Req extends Schema.Top,
  Res extends Schema.Top,
  const Codes extends ErrorCodeTable
>(options: {
  readonly name: Name
  readonly path: string
  readonly method?: "POST" | "GET"
  readonly bucket?: Bucket
  readonly retrySafe: boolean
  readonly authenticated?: boolean
  readonly hasBody?: boolean
  readonly enveloped?: boolean
  readonly request: Req
  readonly response: Res
  readonly errors: Codes
}): Endpoint<Name, Req, Res, Codes> => ({
  method: "POST",
  bucket: "general",
  authenticated: true,
  hasBody: true,
  enveloped: true,
  ...options
})

export const Endpoints = {
  loginKey: endpoint({
    name: "LoginKey",
    path: "/api/Auth/loginKey",
    retrySafe: true,
    authenticated: false,
    request: LoginApiKeyRequest,
    response: LoginResponse,
    errors: LoginErrorCode
  }),
  loginApp: endpoint({
    name: "LoginApp",
    path: "/api/Auth/loginApp",
    retrySafe: true,
    authenticated: false,
    request: LoginAppRequest,
    response: LoginResponse,
    errors: LoginErrorCode
  }),
  validate: endpoint({
    name: "Validate",
    path: "/api/Auth/validate",
    retrySafe: true,
    hasBody: false,
    request: NoBody,
    response: ValidateResponse,
    errors: ValidateErrorCode
  }),
  logout: endpoint({
    name: "Logout",
    path: "/api/Auth/logout",
    retrySafe: true,
    hasBody: false,
    request: NoBody,
    response: LogoutResponse,
    errors: LogoutErrorCode
  }),
  searchAccounts: endpoint({
    name: "SearchAccount",
    path: "/api/Account/search",
    retrySafe: true,
    request: SearchAccountRequest,
    response: SearchAccountResponse,
    errors: SearchAccountErrorCode
  }),
  searchContracts: endpoint({
    name: "SearchContract",
    path: "/api/Contract/search",
    retrySafe: true,
    request: SearchContractRequest,
    response: SearchContractResponse,
    errors: SearchContractErrorCode
  }),
  searchContractById: endpoint({
    name: "SearchContractById",
    path: "/api/Contract/searchById",
    retrySafe: true,
    request: SearchContractByIdRequest,
    response: SearchContractByIdResponse,
    errors: SearchContractByIdErrorCode
  }),
  availableContracts: endpoint({
    name: "ListAvailableContract",
    path: "/api/Contract/available",
    retrySafe: true,
    request: ListAvailableContractRequest,
    response: ListAvailableContractResponse,
    errors: ListAvailableContractErrorCode
  }),
  retrieveBars: endpoint({
    name: "RetrieveBars",
    path: "/api/History/retrieveBars",
    bucket: "history",
    retrySafe: true,
    request: RetrieveBarsRequest,
    response: RetrieveBarsResponse,
    errors: RetrieveBarErrorCode
  }),
  placeOrder: endpoint({
    name: "PlaceOrder",
    path: "/api/Order/place",
    retrySafe: false,
    request: PlaceOrderRequest,
    response: PlaceOrderResponse,
    errors: PlaceOrderErrorCode
  }),
  modifyOrder: endpoint({
    name: "ModifyOrder",
    path: "/api/Order/modify",
    retrySafe: false,
    request: ModifyOrderRequest,
    response: ModifyOrderResponse,
    errors: ModifyOrderErrorCode
  }),
  cancelOrder: endpoint({
    name: "CancelOrder",
    path: "/api/Order/cancel",
    retrySafe: false,
    request: CancelOrderRequest,
    response: CancelOrderResponse,
    errors: CancelOrderErrorCode
  }),
  searchOrders: endpoint({
    name: "SearchOrder",
    path: "/api/Order/search",
    retrySafe: true,
    request: SearchOrderRequest,
    response: SearchOrderResponse,
    errors: SearchOrderErrorCode
  }),
  searchOpenOrders: endpoint({
    name: "SearchOpenOrder",
    path: "/api/Order/searchOpen",
    retrySafe: true,
    request: SearchOpenOrderRequest,
    response: SearchOrderResponse,
    errors: SearchOrderErrorCode
  }),
  searchOrderById: endpoint({
    name: "SearchOrderById",
    path: "/api/Order/searchById",
    retrySafe: true,
    request: SearchOrderByIdRequest,
    response: SearchOrderByIdResponse,
    errors: SearchOrderByIdErrorCode
  }),
  queryOrders: endpoint({
    name: "QueryOrders",
    path: "/api/Order/v2/query",
    retrySafe: true,
    request: SearchOrdersQueryRequest,
    response: SearchOrdersQueryResponse,
    errors: SearchOrderErrorCode
  }),
  searchOpenPositions: endpoint({
    name: "SearchPosition",
    path: "/api/Position/searchOpen",
    retrySafe: true,
    request: SearchPositionRequest,
    response: SearchPositionResponse,
    errors: SearchPositionErrorCode
  }),
  closePosition: endpoint({
    name: "ClosePosition",
    path: "/api/Position/closeContract",
    retrySafe: false,
    request: ClosePositionRequest,
    response: ClosePositionResponse,
    errors: ClosePositionErrorCode
  }),
  partialClosePosition: endpoint({
    name: "PartialClosePosition",
    path: "/api/Position/partialCloseContract",
    retrySafe: false,
    request: PartialClosePositionRequest,
    response: PartialClosePositionResponse,
    errors: PartialClosePositionErrorCode
  }),
  searchTrades: endpoint({
    name: "SearchTrade",
    path: "/api/Trade/search",
    retrySafe: true,
    request: SearchTradeRequest,
    response: SearchTradeResponse,
    errors: SearchTradeErrorCode
  }),
  ping: endpoint({
    name: "Ping",
    path: "/api/Status/ping",
    method: "GET",
    retrySafe: true,
    authenticated: false,
    hasBody: false,
    enveloped: false,
    request: NoBody,
    response: PingResponse,
    errors: { Success: 0 } as const
  })
} as const

export type Endpoints = typeof Endpoints
export type EndpointKey = keyof Endpoints

/** Every endpoint, in table order. */
export const allEndpoints: ReadonlyArray<AnyEndpoint> = Object.values(Endpoints)

/** The endpoint serving `path` (for the simulator's router and for logs). */
export const byPath: ReadonlyMap<string, AnyEndpoint> = new Map(allEndpoints.map((e) => [e.path, e]))

/** The decoded request type of an endpoint. */
export type RequestOf<E extends AnyEndpoint> = E["request"]["Type"]
/** The encoded (JSON) request of an endpoint. */
export type RequestEncodedOf<E extends AnyEndpoint> = E["request"]["Encoded"]
/** The decoded successful response of an endpoint. */
export type ResponseOf<E extends AnyEndpoint> = E["response"]["Type"]
/** The encoded (JSON) successful response of an endpoint. */
export type ResponseEncodedOf<E extends AnyEndpoint> = E["response"]["Encoded"]
