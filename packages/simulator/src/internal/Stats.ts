// Request accounting for the admin API: per endpoint, requests, replies by HTTP status (and
// "dropped"), faults applied by kind and rate-limit refusals; logins and validations.

export interface EndpointStats {
  readonly name: string
  readonly path: string
  requests: number
  statuses: Record<string, number>
  faults: Record<string, number>
  rateLimited: number
}

export interface StatsSnapshot {
  readonly totalRequests: number
  readonly endpoints: Record<string, EndpointStats>
  readonly logins: { readonly attempts: number; readonly succeeded: number; readonly failed: number }
  readonly validations: { readonly attempts: number; readonly succeeded: number }
  readonly logouts: number
  readonly notFound: number
}

export class Stats {
  totalRequests = 0
  endpoints: Record<string, EndpointStats> = {}
  logins = { attempts: 0, succeeded: 0, failed: 0 }
  validations = { attempts: 0, succeeded: 0 }
  logouts = 0
  notFound = 0
  private readonly table: ReadonlyArray<readonly [string, string, string]>

  constructor(table: ReadonlyArray<readonly [key: string, name: string, path: string]>) {
    this.table = table
    this.reset()
  }

  reset(): void {
    this.totalRequests = 0
    this.endpoints = {}
    for (const [key, name, path] of this.table) {
      this.endpoints[key] = { name, path, requests: 0, statuses: {}, faults: {}, rateLimited: 0 }
    }
    this.logins = { attempts: 0, succeeded: 0, failed: 0 }
    this.validations = { attempts: 0, succeeded: 0 }
    this.logouts = 0
    this.notFound = 0
  }

  request(key: string): EndpointStats {
    this.totalRequests++
    const e = this.endpoints[key]!
    e.requests++
    return e
  }

  snapshot(): StatsSnapshot {
    return structuredClone({
      totalRequests: this.totalRequests,
      endpoints: this.endpoints,
      logins: this.logins,
      validations: this.validations,
      logouts: this.logouts,
      notFound: this.notFound
    })
  }
}
