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

  /** Records a problem with the field at `path` (for example `ingress[2].service`). */
  add(path: string, message: string): void {
    this.lines.push(path === '' ? `${this.file}: ${message}` : `${this.file}: "${path}" ${message}`)
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
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase())
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
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** Bounds for {@link readInteger}. */
export interface IntegerRule {
  min: number
  max: number
  /** Shown in the message as what to write instead. */
  example: number
  /** Phrase for the unit, for example "milliseconds". */
  unit?: string
}

/**
 * Reads an optional integer field. Returns undefined when the field is absent or wrong
 * (the problem is recorded), so the caller falls back to the default and carries on.
 */
export function readInteger(
  problems: Problems,
  value: unknown,
  path: string,
  rule: IntegerRule,
): number | undefined {
  if (value === undefined) return undefined
  const unit = rule.unit === undefined ? '' : ` of ${rule.unit}`
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.add(
      path,
      `must be a whole number${unit} from ${rule.min} to ${rule.max}, got ${describe(value)}; ` +
        `for example ${path.split('.').pop()}: ${rule.example}`,
    )
    return undefined
  }
  if (value < rule.min || value > rule.max) {
    problems.add(path, `is ${value}; it must be from ${rule.min} to ${rule.max}`)
    return undefined
  }
  return value
}

/** Reads an optional boolean field; see {@link readInteger}. */
export function readBoolean(problems: Problems, value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') {
    problems.add(path, `must be true or false, got ${describe(value)}`)
    return undefined
  }
  return value
}

/** Reads an optional non-empty string field; see {@link readInteger}. */
export function readString(problems: Problems, value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(path, `must be a non-empty string, got ${describe(value)}`)
    return undefined
  }
  return value.trim()
}
