import { describe, isMapping, type Problems } from './problems.js'
import type { TcpSessionConfig } from './types.js'
import { readDuration } from './validate-policies.js'

const tcpKeys = ['idleTimeout', 'maxDuration']

/**
 * Parses an app's `tcp:` mapping: how long its SSH, RDP and TCP sessions may idle
 * (`idleTimeout`) and last (`maxDuration`). Undefined when the app has none.
 */
export function parseTcpSessions(
  problems: Problems,
  raw: unknown,
  path: string,
): TcpSessionConfig | undefined {
  if (raw === undefined) return undefined
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping like { idleTimeout: 15m, maxDuration: 8h }, got ` +
      describe(raw))
    return undefined
  }
  problems.unknownKeys(raw, tcpKeys, path)
  const idleTimeoutMs = readDuration(problems, raw['idleTimeout'], `${path}.idleTimeout`)
  const maxDurationMs = readDuration(problems, raw['maxDuration'], `${path}.maxDuration`)
  return Object.freeze({
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    ...(maxDurationMs === undefined ? {} : { maxDurationMs }),
  })
}
