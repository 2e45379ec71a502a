/**
 * How the CLI writes: aligned tables and key/value blocks for people, JSON for machines, colour only
 * on a terminal that wants it (a TTY, `NO_COLOR` unset, `TERM` not `dumb`), prices at the contract's
 * tick precision, and a one-line progress bar on stderr. Pure string builders plus thin writers.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

// -----------------------------------------------------------------------------------------------
// Colour
// -----------------------------------------------------------------------------------------------

/** Whether a stream should get ANSI colours: a TTY, `NO_COLOR` unset or empty, `TERM` not `dumb`. */
export const wantsColor = (stream: { readonly isTTY?: boolean | undefined }): boolean => {
  const noColor = process.env.NO_COLOR
  if (noColor !== undefined && noColor.length > 0) return false
  if (process.env.TERM === "dumb") return false
  return stream.isTTY === true
}

export interface Paint {
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
}

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`
const identity = (s: string) => s

export const paint = (color: boolean): Paint =>
  color
    ? {
        bold: code(1, 22),
        dim: code(2, 22),
        red: code(31, 39),
        green: code(32, 39),
        yellow: code(33, 39),
        cyan: code(36, 39)
      }
    : { bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity }

/** Colours for stdout (tables) and stderr (errors, progress), decided once per run. */
export const stdoutPaint = (): Paint => paint(wantsColor(process.stdout))
export const stderrPaint = (): Paint => paint(wantsColor(process.stderr))

const ansiPattern = /\u001b\[[0-9;]*m/g
/** The printed width of a string (ANSI codes stripped). */
export const visibleLength = (s: string): number => s.replace(ansiPattern, "").length

// -----------------------------------------------------------------------------------------------
// Numbers, prices, times
// -----------------------------------------------------------------------------------------------

/** Decimal places of a tick size: 0.25 → 2, 0.1 → 1, 0.00005 → 5, 1 → 0, 1/64 → 6. */
export const decimalsOf = (tickSize: number): number => {
  if (!(tickSize > 0) || !Number.isFinite(tickSize)) return 2
  for (let d = 0; d <= 10; d++) {
    const scaled = tickSize * 10 ** d
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d
  }
  return 10
}

/** A price at a tick size's precision ("21345.25" for MNQ, "1.16245" for 6E); "" for none. */
export const formatPrice = (price: number | null | undefined, tickSize: number | undefined): string =>
  price === null || price === undefined ? "" : price.toFixed(tickSize === undefined ? 2 : decimalsOf(tickSize))

/** Money with two decimals and thousands separators ("50,000.00", "-12.50"). */
export const formatMoney = (n: number | null | undefined): string =>
  n === null || n === undefined ? "" : n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** A count with thousands separators. */
export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** Milliseconds as "850 ms", "12.3 ms", "0.42 ms" or "2.4 s". */
export const formatDuration = (ms: number): string => {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/** Epoch ms as "2025-11-19 09:30:00" in an IANA zone. */
export const formatTime = (ms: number, timeZone: string): string => {
  let f = timeFormats.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23"
    })
    timeFormats.set(timeZone, f)
  }
  const parts: Record<string, string> = {}
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

/** Epoch ms as ISO-8601 with the zone's offset ("2025-07-18T16:00:00-05:00"), as in the CSV. */
export const isoWithOffset = (ms: number, timeZone: string): string => {
  const local = formatTime(ms, timeZone).replace(" ", "T")
  const asUtc = Date.parse(`${local}Z`)
  const wholeSecond = Math.floor(ms / 1000) * 1000
  const offsetMin = Math.round((asUtc - wholeSecond) / 60_000)
  const millis = ms - wholeSecond
  const sign = offsetMin < 0 ? "-" : "+"
  const abs = Math.abs(offsetMin)
  const hh = String(Math.floor(abs / 60)).padStart(2, "0")
  const mm = String(abs % 60).padStart(2, "0")
  return `${local}${millis === 0 ? "" : `.${String(millis).padStart(3, "0")}`}${sign}${hh}:${mm}`
}

// -----------------------------------------------------------------------------------------------
// Tables
// -----------------------------------------------------------------------------------------------

export interface Column<A> {
  readonly header: string
  /** Numbers right, text left (default). */
  readonly align?: "left" | "right" | undefined
  readonly value: (row: A) => string
  /** Colours the padded cell; gets the row and the plain text. */
  readonly color?: ((row: A, text: string, p: Paint) => string) | undefined
}

/** An aligned table: a bold header, a dim rule, one line per row; "(none)" when empty. */
export const table = <A>(rows: ReadonlyArray<A>, columns: ReadonlyArray<Column<A>>, p: Paint): string => {
  if (rows.length === 0) return `${p.dim("(none)")}\n`
  const cells = rows.map((row) => columns.map((c) => c.value(row)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)))
  const pad = (text: string, i: number) => {
    const width = widths[i] as number
    return columns[i]?.align === "right" ? text.padStart(width) : text.padEnd(width)
  }
  const last = columns.length - 1
  const line = (parts: ReadonlyArray<string>) => parts.join("  ").trimEnd()
  const out = [
    p.bold(line(columns.map((c, i) => (i === last && c.align !== "right" ? c.header : pad(c.header, i))))),
    p.dim(line(widths.map((w) => "─".repeat(w))))
  ]
  rows.forEach((row, r) => {
    const texts = cells[r] as Array<string>
    out.push(
      line(
        columns.map((c, i) => {
          const text = texts[i] as string
          const padded = i === last && c.align !== "right" ? text : pad(text, i)
          return c.color === undefined || text.length === 0 ? padded : c.color(row, padded, p)
        })
      )
    )
  })
  return `${out.join("\n")}\n`
}

/** "key  value" lines with the keys aligned. */
export const keyValues = (entries: ReadonlyArray<readonly [string, string]>, p: Paint): string => {
  const width = Math.max(0, ...entries.map(([k]) => k.length))
  return `${entries.map(([k, v]) => `${p.dim(k.padEnd(width))}  ${v}`.trimEnd()).join("\n")}\n`
}

/** Green for buys / positive, red for sells / negative. */
export const sideColor = (side: string, text: string, p: Paint): string =>
  /^(buy|long)$/i.test(side) ? p.green(text) : /^(sell|short)$/i.test(side) ? p.red(text) : text

export const signColor = (n: number | null | undefined, text: string, p: Paint): string =>
  n === null || n === undefined || n === 0 ? text : n > 0 ? p.green(text) : p.red(text)

// -----------------------------------------------------------------------------------------------
// Writers
// -----------------------------------------------------------------------------------------------

/** Writes text to stdout as is (it already ends with a newline). */
export const print = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(text))

/** Writes a line to stderr: notes and summaries that must not pollute piped stdout. */
export const note = (text: string): Effect.Effect<void> => Console.error(text)

/** Pretty JSON on stdout; Dates become ISO strings. */
export const printJson = (value: unknown): Effect.Effect<void> =>
  Effect.sync(() => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`))

// -----------------------------------------------------------------------------------------------
// Progress
// -----------------------------------------------------------------------------------------------

export interface Progress {
  readonly update: (done: number, total: number, bars: number) => void
  /** A note after the counts while the bar cannot move (the rate limiter's wait), or undefined to clear it. */
  readonly waiting: (text: string | undefined) => void
  readonly done: () => void
}

const noProgress: Progress = { update: () => {}, waiting: () => {}, done: () => {} }

/** "waiting 18 s for the history rate budget (50 per 30 s)". */
export const waitText = (waitMs: number, bucket: string, limit: number, windowMs: number): string =>
  `waiting ${Math.max(1, Math.ceil(waitMs / 1000))} s for the ${bucket} rate budget (${limit} per ${windowMs % 1000 === 0 ? `${windowMs / 1000} s` : formatDuration(windowMs)})`

/**
 * A one-line progress bar on stderr (redrawn with `\r`), shown only when stderr is a TTY:
 * `bars ▕██████░░░░░░▏ 3/8 requests · 60,000 bars · 5 left`, plus why it is not moving while the
 * rate limiter holds the next request back.
 */
export const progressBar = (label: string, stream: NodeJS.WriteStream = process.stderr): Progress => {
  if (stream.isTTY !== true) return noProgress
  const p = paint(wantsColor(stream))
  let shown = false
  let counts = ""
  let note: string | undefined
  const width = 24
  const draw = () => {
    stream.write(`\r\u001b[2K${counts}${note === undefined ? "" : p.yellow(` · ${note}`)}`)
    shown = true
  }
  return {
    update: (done, total, bars) => {
      const filled = total === 0 ? width : Math.round((done / total) * width)
      const bar = p.cyan("█".repeat(filled)) + p.dim("░".repeat(width - filled))
      counts = `${label} ▕${bar}▏ ${done}/${total} requests · ${formatCount(bars)} bars · ${total - done} left`
      draw()
    },
    waiting: (text) => {
      if (text === note) return
      note = text
      draw()
    },
    done: () => {
      if (shown) stream.write("\r\u001b[2K")
    }
  }
}
