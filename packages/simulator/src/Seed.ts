/**
 * The simulator's seeded users and accounts: fixed, documented credentials so tests, the demo and bot
 * authors can log in without configuration. Every account exists to make one Gateway behaviour
 * reachable (bracket modes, followers, live accounts, violations, accounts that cannot trade).
 */

/** How an account treats bracket objects on `Order/place` (an account setting on the real platform). */
export type BracketMode = "autoOco" | "position"

export interface SeedAccount {
  readonly id: number
  readonly name: string
  readonly balance: number
  readonly canTrade: boolean
  readonly isVisible: boolean
  readonly simulated: boolean
  /** Inactive accounts are hidden by `Account/search { onlyActiveAccounts: true }`. */
  readonly active: boolean
  /** Copy-trading follower: `Order/cancel` refuses it (code 6). */
  readonly follower: boolean
  readonly bracketMode: BracketMode
  /** In violation: `Order/place` answers AccountViolation (4). */
  readonly violation: boolean
  /** Minimum stop-loss bracket distance in ticks (0 = no minimum). */
  readonly minStopLossTicks: number
}

export interface SeedUser {
  readonly id: number
  readonly userName: string
  readonly apiKey: string
  /** For the legacy `Auth/loginApp`. */
  readonly password: string
  /** When set, every login of this user fails with this LoginErrorCode (and message). */
  readonly loginError?: { readonly code: number; readonly message: string | null }
  readonly accounts: ReadonlyArray<SeedAccount>
}

/** The `appId` and `verifyKey` `Auth/loginApp` accepts (any non-empty `deviceId`). */
export const app = { appId: "6a0c3b5e-3b8e-4c36-9d9c-5f1b6e1c7a01", verifyKey: "sim-verify-key" } as const

const account = (a: Partial<SeedAccount> & Pick<SeedAccount, "id" | "name">): SeedAccount => ({
  balance: 50_000,
  canTrade: true,
  isVisible: true,
  simulated: true,
  active: true,
  follower: false,
  bracketMode: "autoOco",
  violation: false,
  minStopLossTicks: 0,
  ...a
})

/** The main user. Log in with `{ userName: "demo", apiKey: "sim-demo-api-key" }`. */
export const demo: SeedUser = {
  id: 501,
  userName: "demo",
  apiKey: "sim-demo-api-key",
  password: "sim-demo-password",
  accounts: [
    account({ id: 1001, name: "PRAC-V2-DEMO-1" }),
    account({ id: 1002, name: "50KTC-V2-DEMO-BRK", bracketMode: "position" }),
    account({ id: 1003, name: "PRAC-V2-DEMO-NOTRADE", canTrade: false }),
    account({ id: 1004, name: "PA-FOLLOWER-DEMO", follower: true }),
    account({ id: 1005, name: "50KTC-V2-DEMO-VIOLATION", violation: true }),
    account({ id: 1006, name: "XFA-LIVE-DEMO", simulated: false }),
    account({ id: 1007, name: "PRAC-V2-DEMO-CLOSED", active: false, canTrade: false, isVisible: false })
  ]
}

/** A second user, so tests can check that one user cannot touch another's accounts. */
export const alice: SeedUser = {
  id: 502,
  userName: "alice",
  apiKey: "sim-alice-api-key",
  password: "sim-alice-password",
  accounts: [account({ id: 2001, name: "PRAC-V2-ALICE-1", balance: 150_000 })]
}

const failing = (id: number, userName: string, code: number, message: string | null = null): SeedUser => ({
  id,
  userName,
  apiKey: `sim-${userName}-api-key`,
  password: `sim-${userName}-password`,
  loginError: { code, message },
  accounts: []
})

/** Users whose logins fail with a given LoginErrorCode, whatever the key. */
export const failingUsers: ReadonlyArray<SeedUser> = [
  failing(601, "nosubscription", 9),
  failing(602, "agreements", 7, "Please log into the ProjectX platform and complete the required agreements"),
  failing(603, "keydisabled", 10),
  failing(604, "unknownerror", 8)
]

export const users: ReadonlyArray<SeedUser> = [demo, alice, ...failingUsers]

/** The main trading account (Auto OCO brackets, can trade and cancel). */
export const mainAccountId = 1001
