// Tokens: real HS256 JWTs (header.payload.signature, base64url) with `exp`, so SDKs can parse the
// expiry as they would on TopstepX. Each token is a session that `Auth/logout` revokes; a new login
// or `Auth/validate` issues a new token without revoking the others (gateway-api.md §3.5).
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto"

export interface Session {
  readonly jti: string
  readonly userId: number
  readonly userName: string
  readonly exp: number
}

export type Verification =
  | { readonly _tag: "Valid"; readonly session: Session }
  | { readonly _tag: "Invalid"; readonly reason: "missing" | "malformed" | "signature" | "expired" | "revoked" }

const b64url = (input: string | Buffer): string => Buffer.from(input).toString("base64url")

const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))

export class Sessions {
  private readonly secret: KeyObject
  private readonly wallNow: () => number
  private readonly live = new Map<string, Session>()
  /** Tokens whose signature was already checked: the hot path skips the HMAC. */
  private readonly verified = new Map<string, Session>()
  private counter = 0
  lifetimeSeconds: number

  constructor(secret: string, wallNow: () => number, lifetimeSeconds: number) {
    this.secret = createSecretKey(Buffer.from(secret))
    this.wallNow = wallNow
    this.lifetimeSeconds = lifetimeSeconds
  }

  private sign(data: string): string {
    return createHmac("sha256", this.secret).update(data).digest("base64url")
  }

  issue(userId: number, userName: string): string {
    const iat = Math.floor(this.wallNow() / 1000)
    const jti = `${iat.toString(36)}-${(++this.counter).toString(36)}`
    const exp = iat + this.lifetimeSeconds
    const payload = b64url(
      JSON.stringify({
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": String(userId),
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": userName,
        sub: String(userId),
        jti,
        iat,
        nbf: iat,
        exp,
        iss: "https://projectx-simulator.local",
        aud: "https://projectx-simulator.local"
      })
    )
    const body = `${header}.${payload}`
    this.live.set(jti, { jti, userId, userName, exp })
    return `${body}.${this.sign(body)}`
  }

  verify(token: string | undefined): Verification {
    if (token === undefined || token.length === 0) return { _tag: "Invalid", reason: "missing" }
    const known = this.verified.get(token)
    if (known !== undefined) {
      if (this.wallNow() / 1000 >= known.exp) return { _tag: "Invalid", reason: "expired" }
      if (!this.live.has(known.jti)) return { _tag: "Invalid", reason: "revoked" }
      return { _tag: "Valid", session: known }
    }
    const parts = token.split(".")
    if (parts.length !== 3) return { _tag: "Invalid", reason: "malformed" }
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`))
    const given = Buffer.from(parts[2]!)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { _tag: "Invalid", reason: "signature" }
    }
    let claims: { jti?: unknown; exp?: unknown }
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"))
    } catch {
      return { _tag: "Invalid", reason: "malformed" }
    }
    if (typeof claims.jti !== "string" || typeof claims.exp !== "number")
      return { _tag: "Invalid", reason: "malformed" }
    if (this.wallNow() / 1000 >= claims.exp) return { _tag: "Invalid", reason: "expired" }
    const session = this.live.get(claims.jti)
    if (session === undefined) return { _tag: "Invalid", reason: "revoked" }
    if (this.verified.size >= 10_000) this.verified.clear()
    this.verified.set(token, session)
    return { _tag: "Valid", session }
  }

  revoke(jti: string): void {
    this.live.delete(jti)
  }

  revokeAll(): void {
    this.live.clear()
    this.verified.clear()
  }

  get count(): number {
    return this.live.size
  }
}
