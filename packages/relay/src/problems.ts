/**
 * Collects config problems so that all of them are reported together, each as one line
 * naming the file, the field, what was expected and how to fix it.
 */
export class Problems {
  private readonly file: string
  private readonly lines: string[] = []

  constructor(file: string) {
    this.file = file
  }

  get list(): readonly string[] {
    return this.lines
  }

  get count(): number {
    return this.lines.length
  }

  /** Records a problem with the field at `path` (for example `tunnels[2].name`). */
  add(path: string, message: string): void {
    const where = path === '' ? '' : ` "${path}"`
    this.lines.push(`${this.file}:${where} ${message}`)
  }

  /** Records keys of `object` that are not in `known`, suggesting the closest known key. */
  unknownKeys(object: Record<string, unknown>, known: readonly string[], path: string): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue
      const field = path === '' ? key : `${path}.${key}`
      const guess = closest(key, known)
      const fix =
        guess === undefined ? `; known keys: ${known.join(', ')}` : `; did you mean "${guess}"?`
      this.add(field, `is not a known key${fix}`)
    }
  }
}

/** A plain object (a YAML mapping), as opposed to a list, scalar or null. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Describes a value's YAML type for "got ..." in messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `the string "${value}"`
  return `${typeof value} ${String(value)}`
}

/** The known name nearest to `name`, when it is near enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const allowed = Math.max(1, Math.floor(Math.max(name.length, 3) / 3))
  return bestDistance <= allowed ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const replace = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, replace)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** Bounds of an integer field. */
export interface IntegerRule {
  readonly min: number
  readonly max: number
  /** Shown in the message as a value to write instead. */
  readonly example: number
}

/**
 * Reads an optional integer field. Returns undefined when it is absent or wrong (the
 * problem is recorded) so that the caller falls back to the default and carries on.
 */
export function readInteger(
  problems: Problems,
  value: unknown,
  path: string,
  rule: IntegerRule,
): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const key = path.split('.').pop() ?? path
    problems.add(
      path,
      `must be a whole number from ${rule.min} to ${rule.max}, got ${describe(value)}; ` +
        `for example ${key}: ${rule.example}`,
    )
    return undefined
  }
  if (value < rule.min || value > rule.max) {
    problems.add(path, `is ${value}; it must be from ${rule.min} to ${rule.max}`)
    return undefined
  }
  return value
}
