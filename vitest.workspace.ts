// The list of test projects. Vitest >= 4 no longer reads this file by itself, so vitest.config.ts
// imports it into `test.projects`; keep this the single place that names the projects.
import type { TestProjectConfiguration } from "vitest/config"

const projects: Array<TestProjectConfiguration> = [
  "packages/gateway",
  "packages/simulator",
  "packages/sdk",
  "packages/cli"
]

export default projects
