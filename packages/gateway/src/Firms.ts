/**
 * The firm registry (gateway-api.md §1): every prop firm runs its own Gateway deployment with identical
 * paths, a REST base and two SignalR hubs. Users pick a firm by id, or give their own URLs.
 */

export interface FirmUrls {
  /** REST base, without the `/api` suffix: endpoint paths start with `/api/…`. */
  readonly api: string
  readonly userHub: string
  readonly marketHub: string
}

export interface Firm extends FirmUrls {
  readonly id: string
  readonly name: string
  /** False where only one third-party source lists the firm (gateway-api.md marks these UNCERTAIN). */
  readonly verified: boolean
}

const projectx = (id: string, name: string, host: string, verified = true): Firm => ({
  id,
  name,
  api: `https://api.${host}.projectx.com`,
  userHub: `https://rtc.${host}.projectx.com/hubs/user`,
  marketHub: `https://rtc.${host}.projectx.com/hubs/market`,
  verified
})

const list: ReadonlyArray<Firm> = [
  {
    id: "topstepx",
    name: "TopstepX",
    api: "https://api.topstepx.com",
    userHub: "https://rtc.topstepx.com/hubs/user",
    marketHub: "https://rtc.topstepx.com/hubs/market",
    verified: true
  },
  projectx("alphaticks", "Alpha Ticks", "alphaticks"),
  projectx("blueguardian", "Blue Guardian", "blueguardianfutures"),
  projectx("blusky", "Blusky", "blusky"),
  projectx("e8x", "E8X", "e8"),
  projectx("fundingfutures", "Funding Futures", "fundingfutures"),
  projectx("thefuturesdesk", "The Futures Desk", "thefuturesdesk"),
  projectx("futureselite", "Futures Elite", "futureselite"),
  projectx("fxifyfutures", "FXIFY Futures", "fxifyfutures"),
  projectx("goatfunded", "GoatFunded", "goatfundedfutures"),
  projectx("tickticktrader", "TickTickTrader", "tickticktrader"),
  projectx("toponefutures", "TopOne Futures", "toponefutures"),
  projectx("tx3funding", "TX3 Funding", "tx3funding"),
  projectx("aquafutures", "Aqua Futures", "aquafutures", false),
  projectx("bulenox", "Bulenox", "bulenox", false),
  projectx("holaprime", "Hola Prime", "holaprime", false),
  projectx("nexgen", "NexGen", "nexgen", false),
  projectx("daytraders", "DayTraders", "daytraders", false)
]

/** Every known firm by id. */
export const Firms: ReadonlyMap<string, Firm> = new Map(list.map((f) => [f.id, f]))

/** Known firm ids, for messages ("expected one of …"). */
export const firmIds: ReadonlyArray<string> = list.map((f) => f.id)

const normalize = (id: string) => id.toLowerCase().replace(/[^a-z0-9]/g, "")

/** The firm with this id (case and punctuation ignored: "TopstepX", "top-stepx"), if known. */
export const findFirm = (id: string): Firm | undefined => {
  const key = normalize(id)
  return Firms.get(key) ?? list.find((f) => normalize(f.name) === key)
}

/**
 * URLs for a custom deployment (a simulator, a new firm): the hubs default to `rtc.` siblings of an
 * `api.` host, or to `<api>/hubs/...` otherwise.
 */
export const customUrls = (api: string, hubs: Partial<Omit<FirmUrls, "api">> = {}): FirmUrls => {
  const base = api.replace(/\/+$/, "").replace(/\/api$/, "")
  const url = new URL(base)
  const rtc = url.hostname.startsWith("api.")
    ? `${url.protocol}//rtc.${url.hostname.slice(4)}${url.port ? `:${url.port}` : ""}`
    : base
  return {
    api: base,
    userHub: hubs.userHub ?? `${rtc}/hubs/user`,
    marketHub: hubs.marketHub ?? `${rtc}/hubs/market`
  }
}
