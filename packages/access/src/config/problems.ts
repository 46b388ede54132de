/**
 * Collects config problems so that all of them are reported together, each as one line
 * naming the file, the field path, what was expected and how to fix it.
 */
export class Problems {
  readonly #file: string
  readonly #lines: string[] = []

  constructor(file: string) {
    this.#file = file
  }

  get list(): readonly string[] {
    return this.#lines
  }

  /**
   * Records a problem with the field at `path` (for example `access.apps[2].domains[0]`).
   * List positions are shown counting from 1, as in the relay's and connector's messages.
   */
  add(path: string, message: string): void {
    const shown = path.replace(/\[(\d+)\]/g, (_, index: string) => `[${Number(index) + 1}]`)
    this.#lines.push(`${this.#file}: "${shown}" ${message}`)
  }

  /** Records keys of `object` that are not in `known`. */
  unknownKeys(object: Record<string, unknown>, known: readonly string[], path: string): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue
      this.add(`${path}.${key}`, `is not a known key; known keys here: ${known.join(', ')}`)
    }
  }
}

/** A plain object (a YAML mapping), as opposed to a list, scalar or null. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Describes a value's YAML type for "got ..." in messages. Never echoes long strings. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') {
    return value.length > 60 ? 'a long string' : `the string "${value}"`
  }
  return `${typeof value} ${String(value)}`
}

/** Reads a required non-empty string; undefined (problem recorded) when it is not one. */
export function readString(
  problems: Problems,
  value: unknown,
  path: string,
  example: string,
): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim()
  problems.add(path, `must be a non-empty string, got ${describe(value)}; for example ${example}`)
  return undefined
}

/** Reads a list of non-empty strings (a single string is accepted as a list of one). */
export function readStringList(
  problems: Problems,
  value: unknown,
  path: string,
  example: string,
): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    problems.add(path, `must be a non-empty list of strings, got ${describe(value)}; ` +
      `for example ${example}`)
    return undefined
  }
  const out: string[] = []
  for (const [index, item] of list.entries()) {
    const one = readString(problems, item, `${path}[${index}]`, example)
    if (one !== undefined) out.push(one)
  }
  return out.length === list.length ? out : undefined
}
