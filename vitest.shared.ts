// Shared per-package Vitest settings: workspace packages resolve to their TypeScript sources through
// the "@projectx-effect/source" export condition, so tests never need a build first.
import { defineProject, type UserWorkspaceConfig } from "vitest/config"

// No "module": it makes @opentelemetry/api load its extension-less ESM build, which Node rejects.
const conditions = ["@projectx-effect/source", "node", "import", "default"]

export const project = (name: string, extra: UserWorkspaceConfig["test"] = {}) =>
  defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ["@projectx-effect/source"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...extra
    }
  })
