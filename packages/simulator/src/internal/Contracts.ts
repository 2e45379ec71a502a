// The contract catalog: which roots the simulator lists, the Gateway's id grammar
// (`CON.F.US.<root>.<M><YY>`, name `<ticker><M><Y>`, symbolId `F.US.<root>`), tick sizes and values
// (reference §6.1), and which quarterly month is the front (`activeContract`) on a given date.

export interface RootSpec {
  /** The Gateway root used in ids, e.g. "ENQ" for NQ. */
  readonly root: string
  /** The exchange ticker used in contract names, e.g. "NQ". */
  readonly ticker: string
  readonly description: string
  readonly tickSize: number
  readonly tickValue: number
  /** Where the random walk is anchored (and mean-reverts to). */
  readonly basePrice: number
  /** Standard deviation of a day's move, as a fraction of the price. */
  readonly dailyVolatility: number
  /** Mean contracts traded per minute. */
  readonly baseVolume: number
  /** Fee per contract per side (a fill). */
  readonly feePerSide: number
  /** Margin per contract held; orders that would exceed the balance get InsufficientFunds. */
  readonly margin: number
}

export const roots: ReadonlyArray<RootSpec> = [
  {
    root: "MNQ",
    ticker: "MNQ",
    description: "Micro E-mini Nasdaq-100",
    tickSize: 0.25,
    tickValue: 0.5,
    basePrice: 21000,
    dailyVolatility: 0.012,
    baseVolume: 700,
    feePerSide: 0.37,
    margin: 210
  },
  {
    root: "MES",
    ticker: "MES",
    description: "Micro E-mini S&P 500",
    tickSize: 0.25,
    tickValue: 1.25,
    basePrice: 6000,
    dailyVolatility: 0.01,
    baseVolume: 600,
    feePerSide: 0.37,
    margin: 150
  },
  {
    root: "ENQ",
    ticker: "NQ",
    description: "E-mini NASDAQ-100",
    tickSize: 0.25,
    tickValue: 5,
    basePrice: 21000,
    dailyVolatility: 0.012,
    baseVolume: 350,
    feePerSide: 1.4,
    margin: 2100
  },
  {
    root: "EP",
    ticker: "ES",
    description: "E-mini S&P 500",
    tickSize: 0.25,
    tickValue: 12.5,
    basePrice: 6000,
    dailyVolatility: 0.01,
    baseVolume: 900,
    feePerSide: 1.4,
    margin: 1500
  },
  {
    root: "YM",
    ticker: "YM",
    description: "E-mini Dow ($5)",
    tickSize: 1,
    tickValue: 5,
    basePrice: 44000,
    dailyVolatility: 0.009,
    baseVolume: 120,
    feePerSide: 1.4,
    margin: 1100
  },
  {
    root: "GCE",
    ticker: "GC",
    description: "Gold",
    tickSize: 0.1,
    tickValue: 10,
    basePrice: 2650,
    dailyVolatility: 0.01,
    baseVolume: 250,
    feePerSide: 1.55,
    margin: 1200
  },
  {
    root: "MGC",
    ticker: "MGC",
    description: "Micro Gold",
    tickSize: 0.1,
    tickValue: 1,
    basePrice: 2650,
    dailyVolatility: 0.01,
    baseVolume: 120,
    feePerSide: 0.5,
    margin: 120
  },
  {
    root: "CLE",
    ticker: "CL",
    description: "Crude Oil",
    tickSize: 0.01,
    tickValue: 10,
    basePrice: 72,
    dailyVolatility: 0.02,
    baseVolume: 350,
    feePerSide: 1.55,
    margin: 700
  },
  {
    root: "MCLE",
    ticker: "MCL",
    description: "Micro WTI Crude Oil",
    tickSize: 0.01,
    tickValue: 1,
    basePrice: 72,
    dailyVolatility: 0.02,
    baseVolume: 120,
    feePerSide: 0.5,
    margin: 70
  },
  {
    root: "EU6",
    ticker: "6E",
    description: "Euro FX",
    tickSize: 0.00005,
    tickValue: 6.25,
    basePrice: 1.08,
    dailyVolatility: 0.005,
    baseVolume: 250,
    feePerSide: 1.6,
    margin: 300
  }
]

export const monthCodes = "FGHJKMNQUVXZ"
const monthNames = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December"
]

/** One quarterly contract of a root. `quarter` counts quarters since year 0 (year * 4 + q). */
export interface ContractInfo {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly symbolId: string
  readonly spec: RootSpec
  readonly rootIndex: number
  readonly year: number
  /** 1-based calendar month (3, 6, 9, 12). */
  readonly month: number
  readonly quarter: number
  /** The last trading instant (end of the third Friday of the month, UTC), in epoch ms. */
  readonly expiresAt: number
  /** Decimal places of the tick size, and the tick size as an integer count of 10^-decimals. */
  readonly decimals: number
  readonly tickUnits: number
}

/** Decimal places needed to print a tick size exactly. */
const decimalsOf = (tickSize: number): number => {
  let d = 0
  while (d < 10 && Math.abs(Math.round(tickSize * 10 ** d) - tickSize * 10 ** d) > 1e-9) d++
  return d
}

/** The third Friday of a month, end of day UTC (ms). */
const thirdFridayEnd = (year: number, month: number): number => {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay()
  const firstFriday = 1 + ((5 - first + 7) % 7)
  return Date.UTC(year, month - 1, firstFriday + 14, 23, 59, 59, 999)
}

/** Days before expiry at which the next quarter becomes the active (front) contract. */
export const rollDays = 8

const contractCache = new Map<string, ContractInfo>()

export const contractFor = (rootIndex: number, quarter: number): ContractInfo => {
  const spec = roots[rootIndex]!
  const key = `${rootIndex}:${quarter}`
  const cached = contractCache.get(key)
  if (cached !== undefined) return cached
  const year = Math.floor(quarter / 4)
  const month = (quarter % 4) * 3 + 3
  const code = monthCodes[month - 1]!
  const decimals = decimalsOf(spec.tickSize)
  const info: ContractInfo = {
    id: `CON.F.US.${spec.root}.${code}${String(year % 100).padStart(2, "0")}`,
    name: `${spec.ticker}${code}${year % 10}`,
    description: `${spec.description}: ${monthNames[month - 1]} ${year}`,
    symbolId: `F.US.${spec.root}`,
    spec,
    rootIndex,
    year,
    month,
    quarter,
    expiresAt: thirdFridayEnd(year, month),
    decimals,
    tickUnits: Math.round(spec.tickSize * 10 ** decimals)
  }
  contractCache.set(key, info)
  return info
}

/** The quarter index of the active (front) contract at `nowMs`. */
export const frontQuarter = (nowMs: number): number => {
  const d = new Date(nowMs)
  const year = d.getUTCFullYear()
  let quarter = year * 4 + Math.floor(d.getUTCMonth() / 3)
  for (;;) {
    const c = contractFor(0, quarter)
    if (c.expiresAt - rollDays * 86_400_000 > nowMs) return quarter
    quarter++
  }
}

const idPattern = /^CON\.F\.US\.([A-Z0-9]+)\.([FGHJKMNQUVXZ])(\d{2})$/

/** Whether a string follows the Gateway's contract id grammar at all. */
export const isWellFormedId = (id: string): boolean => idPattern.test(id)

/**
 * Resolves a contract id: listed (front + 3) and expired quarters since `historyStartMs`
 * resolve; anything else is unknown.
 */
export const resolveContract = (id: string, nowMs: number, historyStartMs: number): ContractInfo | undefined => {
  const m = idPattern.exec(id)
  if (m === null) return undefined
  const rootIndex = roots.findIndex((r) => r.root === m[1])
  if (rootIndex < 0) return undefined
  const month = monthCodes.indexOf(m[2]!) + 1
  if (month % 3 !== 0) return undefined
  const yy = Number(m[3])
  const nowYear = new Date(nowMs).getUTCFullYear()
  // Two-digit years: pick the century closest to the clock.
  const century = Math.floor(nowYear / 100) * 100
  const candidates = [century - 100 + yy, century + yy, century + 100 + yy]
  const year = candidates.reduce((a, b) => (Math.abs(b - nowYear) < Math.abs(a - nowYear) ? b : a))
  const quarter = year * 4 + (month / 3 - 1)
  const front = frontQuarter(nowMs)
  if (quarter > front + 3) return undefined
  const info = contractFor(rootIndex, quarter)
  if (info.expiresAt < historyStartMs) return undefined
  return info
}

/** The listed contracts (front + three back quarters) of every root at `nowMs`. */
export const listed = (nowMs: number): ReadonlyArray<ContractInfo> => {
  const front = frontQuarter(nowMs)
  const out: Array<ContractInfo> = []
  for (let r = 0; r < roots.length; r++) {
    for (let q = 0; q < 4; q++) out.push(contractFor(r, front + q))
  }
  return out
}

/** Price (a number) of an integer count of ticks, printed exactly (e.g. 7531 ticks of 0.01 → 75.31). */
export const priceOf = (c: ContractInfo, ticks: number): number => (ticks * c.tickUnits) / 10 ** c.decimals

/** Ticks of a price, or undefined when the price is not on the tick grid. */
export const ticksOf = (c: ContractInfo, price: number): number | undefined => {
  const scaled = price * 10 ** c.decimals
  const rounded = Math.round(scaled)
  if (Math.abs(scaled - rounded) > 1e-6 * Math.max(1, Math.abs(scaled))) return undefined
  if (rounded % c.tickUnits !== 0) return undefined
  return rounded / c.tickUnits
}
