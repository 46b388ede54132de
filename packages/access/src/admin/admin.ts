import { openSqliteStores } from '../store/sqlite-stores.js'
import type { AccessStores, AuditQuery, AuditRecord, TcpSessionFacts } from '../store/types.js'
import { ServiceTokens, type NewServiceToken } from '../tokens/service-tokens.js'

/**
 * Operations for the command line (`keyway access service-token ...`, `keyway logs`). Each
 * opens the relay's access database under `dataDir`, does one thing and closes it; a
 * running relay sees the change at its next request, as both share the database file.
 */

async function withStores<T>(
  dataDir: string,
  run: (stores: AccessStores) => Promise<T>,
): Promise<T> {
  const stores = openSqliteStores(dataDir)
  try {
    return await run(stores)
  } finally {
    stores.close()
  }
}

/** Makes a service token; the secret is in the result only, never stored. */
export function createServiceToken(options: {
  dataDir: string
  name: string
}): Promise<NewServiceToken> {
  return withStores(options.dataDir, (stores) =>
    new ServiceTokens({ store: stores.serviceTokens }).create(options.name))
}

/** Removes a service token; false when none had that name. */
export function removeServiceToken(options: { dataDir: string; name: string }): Promise<boolean> {
  return withStores(options.dataDir, (stores) => stores.serviceTokens.remove(options.name))
}

/** Names, client ids and creation times of the service tokens (no hashes). */
export function listServiceTokens(options: { dataDir: string }): Promise<
  Array<{ name: string; clientId: string; createdAtMs: number }>
> {
  return withStores(options.dataDir, async (stores) =>
    (await stores.serviceTokens.list()).map(({ name, clientId, createdAtMs }) =>
      ({ name, clientId, createdAtMs })))
}

/** Audit records matching `filter`, newest first. */
export function queryAuditLog(options: {
  dataDir: string
  filter?: AuditQuery
}): Promise<AuditRecord[]> {
  return withStores(options.dataDir, (stores) => stores.audit.query(options.filter))
}

/** How a TCP session went, for a line of text: its end, duration and bytes each way. */
function tcpSessionText(tcp: TcpSessionFacts): string {
  return `tcp=${tcp.outcome} ended=${new Date(tcp.endedAtMs).toISOString()} ` +
    `durationMs=${tcp.endedAtMs - tcp.startedAtMs} bytesIn=${tcp.bytesIn} ` +
    `bytesOut=${tcp.bytesOut}`
}

/** One audit record as a line of text: time, decision, app, user, request, policy, reason. */
export function formatAuditRecord(record: AuditRecord): string {
  const who = record.email ?? (record.serviceToken === undefined ? '-'
    : `service-token:${record.serviceToken}`)
  return [
    new Date(record.timeMs).toISOString(), record.decision.padEnd(13), record.app ?? '-', who,
    record.clientIp, `${record.method} ${record.host}${record.path}`,
    `policy=${record.policy ?? '-'}`, `reason=${record.reason ?? '-'}`, `req=${record.reqId}`,
    ...(record.tcp === undefined ? [] : [tcpSessionText(record.tcp)]),
  ].join('  ')
}
