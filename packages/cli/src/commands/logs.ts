import { InvalidArgumentError, Option, type Command } from 'commander'
import type { AuditQuery, AuditRecord } from '@keyway/access'
import { auditDecisions, parseDurationMs, type AuditDecision } from '@keyway/access/vocabulary'

import { accessDataDir } from '../access-data.js'
import { configOption } from '../options.js'

/** Flags of `keyway logs`. */
export interface LogsOptions {
  readonly config: string
  readonly app?: string
  readonly user?: string
  readonly decision?: AuditDecision
  readonly since?: string
  readonly limit: number
  readonly json: boolean
}

const maxLimit = 10_000

/**
 * Reads `--since`: a duration back from `nowMs` (`15m`, `2h`, `7d`, `1h30m`) or a date and
 * time (`2026-12-04T07:00:00Z`, `2026-12-04`). Returns epoch milliseconds.
 */
export function parseSince(value: string, nowMs: number): number {
  const text = value.trim().toLowerCase()
  const duration = parseDurationMs(text)
  if (duration !== undefined) return nowMs - duration
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(value.trim()) : Number.NaN
  if (Number.isFinite(at)) return at
  throw new InvalidArgumentError(
    'expected a duration back from now (30s, 15m, 2h, 7d, 1h30m) or a date and time ' +
      '(2026-12-04 or 2026-12-04T07:00:00Z)',
  )
}

function parseLimit(value: string): number {
  const limit = Number(value)
  if (!/^\d+$/.test(value) || limit < 1 || limit > maxLimit) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${maxLimit}`)
  }
  return limit
}

/**
 * `keyway logs`: the newest audit records that match every filter, printed oldest first
 * (as `tail` would), one per line, or as JSON lines with `--json`.
 */
export async function showLogs(options: LogsOptions, nowMs = Date.now()): Promise<string> {
  const dataDir = await accessDataDir(options.config)
  const access = await import('@keyway/access')
  const filter: AuditQuery = {
    app: options.app,
    user: options.user,
    decision: options.decision,
    sinceMs: options.since === undefined ? undefined : parseSince(options.since, nowMs),
    limit: options.limit,
  }
  const records = (await access.queryAuditLog({ dataDir, filter })).reverse()
  if (options.json) return records.map((record) => `${JSON.stringify(toJson(record))}\n`).join('')
  if (records.length === 0) return 'no audit records match\n'
  return records.map((record) => `${access.formatAuditRecord(record)}\n`).join('')
}

/** A record as JSON: the time as an ISO string beside `timeMs`; absent fields are null. */
function toJson(record: AuditRecord): Record<string, unknown> {
  const fields: Record<string, unknown> = { time: new Date(record.timeMs).toISOString() }
  for (const [key, value] of Object.entries(record)) fields[key] = value ?? null
  return fields
}

/** Adds `keyway logs`: the relay's audit log, with filters. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("show the relay's access audit log")
    .addOption(configOption('relay'))
    .option('--app <name>', 'only decisions about this app')
    .option('--user <email>', 'only this user (email or subject)')
    .addOption(
      new Option('--decision <decision>', 'only this decision').choices(auditDecisions),
    )
    .option(
      '--since <when>',
      'only records from then on: a duration back from now (15m, 2h, 7d) or a date and time',
      (value: string) => (parseSince(value, Date.now()), value),
    )
    .option('--limit <n>', `at most this many of the newest records (1 to ${maxLimit})`,
      parseLimit, 100)
    .option('--json', 'print one JSON object per record and line', false)
    .addHelpText(
      'after',
      '\nRecords are printed oldest first: time, decision, app, user, client IP, request, ' +
        'the deciding\npolicy and the reason code. A running relay may keep writing ' +
        'meanwhile; reading never blocks it.',
    )
    .action(async (options: LogsOptions) => {
      process.stdout.write(await showLogs(options))
    })
}
