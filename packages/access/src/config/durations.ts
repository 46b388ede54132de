const unitMs: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 24 * 3600_000,
}

/**
 * Parses a duration like `30s`, `15m`, `12h`, `7d` or `1h30m` into milliseconds; a bare
 * number is seconds. Undefined when the text is not a duration.
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined
  }
  if (typeof value !== 'string') return undefined
  const text = value.trim().toLowerCase()
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined
  let total = 0
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (unitMs[match[2] ?? ''] ?? Number.NaN)
  }
  return Number.isFinite(total) && total > 0 ? total : undefined
}
