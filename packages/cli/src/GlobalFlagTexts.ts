/**
 * The texts of the CLI's own global flags: `Settings.ts` builds the effect/cli flags from them and
 * `CommandTable.ts` prints them in the root help without loading effect/cli. A module of its own so
 * neither imports the other (the commands import Settings, and the table loads the commands).
 */
import { firmIds } from "@projectx-effect/gateway/Firms"

/** Description and metavar of each of the CLI's global flags, by flag name. */
export const globalFlagTexts = {
  json: { description: "Print JSON on stdout instead of tables (errors become JSON on stderr)" },
  firm: {
    metavar: "id",
    description: `The prop firm's Gateway (${firmIds.slice(0, 4).join(", ")}, …; env PROJECTX_FIRM)`
  },
  "api-url": { metavar: "url", description: "A Gateway REST base URL, e.g. a simulator's (env PROJECTX_API_URL)" },
  account: {
    metavar: "name",
    description: "The account to trade, by name (env PROJECT_X_ACCOUNT_NAME; default: the first that can trade)"
  },
  tz: {
    metavar: "zone",
    description: "IANA time zone for times and bar timestamps (env PROJECTX_TIMEZONE; default America/Chicago)"
  }
} as const satisfies Record<string, { readonly metavar?: string; readonly description: string }>
