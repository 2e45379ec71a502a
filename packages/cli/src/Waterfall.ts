/**
 * Renders finished spans as a terminal waterfall: one block per trace, spans as a tree by parent
 * (indented names), a bar placed and scaled against the trace's span of time, the duration in ms.
 * A pure function of its input, so the CLI decides about colour (TTY) and tests compare strings.
 *
 * @example
 * ```ts
 * const spans = yield* recorder.spans // SpanRecorder (@projectx-effect/sdk/testing), or an OtlpReceiver's spans()
 * const text = Waterfall.render(spans, { color: true }) // the caller decides about colour (a TTY)
 * ```
 */

/** The fields the waterfall needs; `Telemetry.SpanRecord` and `OtlpReceiver` spans both fit. */
export interface WaterfallSpan {
  readonly name: string
  readonly spanId: string
  readonly parentSpanId?: string | undefined
  readonly traceId?: string | undefined
  readonly startTimeMs: number
  readonly endTimeMs: number
  readonly kind?: string | undefined
  readonly status?: "ok" | "error" | "interrupted" | "unset" | undefined
  readonly statusMessage?: string | undefined
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
}

/** Options of {@link render}. */
export interface WaterfallOptions {
  /** ANSI colours (default false; pass `process.stdout.isTTY`). */
  readonly color?: boolean | undefined
  /** Width of the name column, indentation included (default 40). */
  readonly nameWidth?: number | undefined
  /** Width of the bar column (default 40). */
  readonly barWidth?: number | undefined
  /** Attribute keys whose values are appended after the duration, when present (e.g. `http.response.status_code`). */
  readonly attributes?: ReadonlyArray<string> | undefined
  /** Print a header line per trace (default true). */
  readonly header?: boolean | undefined
}

interface Node {
  readonly span: WaterfallSpan
  readonly children: Array<Node>
}

const ansi = {
  reset: "\u001b[0m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m"
} as const

const byStart = (a: Node, b: Node): number =>
  a.span.startTimeMs - b.span.startTimeMs ||
  a.span.endTimeMs - b.span.endTimeMs ||
  (a.span.name < b.span.name ? -1 : a.span.name > b.span.name ? 1 : 0) ||
  (a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0)

/** Builds the span forest: a span whose parent is not in the input is a root. */
const forest = (spans: ReadonlyArray<WaterfallSpan>): Array<Node> => {
  const nodes = new Map<string, Node>()
  for (const span of spans) nodes.set(span.spanId, { span, children: [] })
  const roots: Array<Node> = []
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanId
    const parent = parentId === undefined || parentId === node.span.spanId ? undefined : nodes.get(parentId)
    if (parent === undefined) roots.push(node)
    else parent.children.push(node)
  }
  const sortDeep = (list: Array<Node>) => {
    list.sort(byStart)
    for (const node of list) sortDeep(node.children)
  }
  sortDeep(roots)
  return roots
}

const formatMs = (ms: number): string => {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

const fit = (text: string, width: number): string => {
  if (width <= 0) return ""
  if (text.length <= width) return text.padEnd(width)
  return width === 1 ? "…" : `${text.slice(0, width - 1)}…`
}

const attributeText = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)

/** Renders spans (any number of traces) as a waterfall; returns "" for no spans. */
export const render = (spans: ReadonlyArray<WaterfallSpan>, options: WaterfallOptions = {}): string => {
  if (spans.length === 0) return ""
  const color = options.color === true
  const nameWidth = Math.max(8, options.nameWidth ?? 40)
  const barWidth = Math.max(4, options.barWidth ?? 40)
  const paint = (code: string, text: string) => (color ? `${code}${text}${ansi.reset}` : text)

  // Trees from different traces never mix; each trace is laid out against its own time span.
  const traces = new Map<string, Array<Node>>()
  for (const root of forest(spans)) {
    const key = root.span.traceId ?? ""
    const list = traces.get(key)
    if (list === undefined) traces.set(key, [root])
    else list.push(root)
  }
  const blocks = [...traces.entries()].map(([traceId, roots]) => ({ traceId, roots }))
  blocks.sort((a, b) => byStart(a.roots[0]!, b.roots[0]!))

  const lines: Array<string> = []
  for (const { traceId, roots } of blocks) {
    let start = Number.POSITIVE_INFINITY
    let end = Number.NEGATIVE_INFINITY
    let count = 0
    const visit = (node: Node) => {
      start = Math.min(start, node.span.startTimeMs)
      end = Math.max(end, node.span.endTimeMs)
      count++
      for (const child of node.children) visit(child)
    }
    for (const root of roots) visit(root)
    const total = Math.max(0, end - start)

    if (lines.length > 0) lines.push("")
    if (options.header !== false) {
      const id = traceId === "" ? "" : `trace ${traceId} `
      lines.push(paint(ansi.bold, `${id}· ${count} span${count === 1 ? "" : "s"} · ${formatMs(total)}`))
    }

    const row = (node: Node, depth: number) => {
      const span = node.span
      const duration = Math.max(0, span.endTimeMs - span.startTimeMs)
      const offset =
        total === 0 ? 0 : Math.min(barWidth - 1, Math.floor(((span.startTimeMs - start) / total) * barWidth))
      const length =
        total === 0 ? barWidth : Math.max(1, Math.min(barWidth - offset, Math.round((duration / total) * barWidth)))
      const failed = span.status === "error"
      const barColor = failed ? ansi.red : span.kind === "client" ? ansi.cyan : ansi.green
      const bar = " ".repeat(offset) + paint(barColor, "█".repeat(length)) + " ".repeat(barWidth - offset - length)
      const name = fit(`${"  ".repeat(depth)}${span.name}`, nameWidth)
      let line = `${failed ? paint(ansi.red, name) : name} │${bar}│ ${formatMs(duration).padStart(7)}`
      for (const key of options.attributes ?? []) {
        const value = span.attributes?.[key]
        if (value !== undefined) line += ` ${paint(ansi.dim, `${key}=${attributeText(value)}`)}`
      }
      if (failed) line += ` ${paint(ansi.red, `✗ ${span.statusMessage ?? "error"}`)}`
      else if (span.status === "interrupted") line += ` ${paint(ansi.yellow, "⊘ interrupted")}`
      lines.push(line.trimEnd())
      for (const child of node.children) row(child, depth + 1)
    }
    for (const root of roots) row(root, 0)
  }
  return `${lines.join("\n")}\n`
}
