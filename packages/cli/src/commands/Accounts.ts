/** `projectx accounts`: the login's active accounts; `*` marks the one trading commands use. */
import { Accounts, ProjectXConfig } from "@projectx-effect/sdk/rest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Command from "effect/cli/Command"
import { note, print, printJson, stderrPaint, stdoutPaint } from "../Output.ts"
import { Json, withRestSdk } from "../Settings.ts"
import { accountsTable } from "../Views.ts"

export const accounts = Command.make("accounts", {}, () =>
  withRestSdk(
    Effect.gen(function* () {
      const config = yield* ProjectXConfig.ProjectXConfig
      const list = yield* (yield* Accounts.Accounts).search()
      const selected = Option.getOrUndefined(Accounts.selectAccount(list, config.accountName))
      if (selected === undefined && config.accountName !== undefined) {
        yield* note(
          stderrPaint().yellow(
            `No active account is named "${config.accountName}": trading commands will fail until --account or PROJECT_X_ACCOUNT_NAME names one of these.`
          )
        )
      }
      if (yield* Json) {
        return yield* printJson(list.map((a) => ({ ...a, selected: a.id === selected?.id })))
      }
      yield* print(accountsTable(list, selected?.id, stdoutPaint()))
    })
  )
).pipe(
  Command.withDescription(
    "List your active trading accounts. `*` marks the account trading commands use (--account or PROJECT_X_ACCOUNT_NAME, else the first that can trade)."
  ),
  Command.withShortDescription("List your trading accounts")
)
