import type { Logger } from 'pino'

import { LogField } from '../log-fields.js'
import type { AuditRecord, AuditStore } from '../store/types.js'
import type { GateRequest } from './types.js'

/** The parts of an audit record that differ per decision. */
export type AuditFacts = Pick<AuditRecord, 'decision'> & Partial<Omit<AuditRecord, 'decision'>>

/**
 * Writes every decision to the audit store (durably, before the answer goes out) and as
 * one pino line. The query string is never recorded: it may hold one-time codes.
 */
export class Auditor {
  readonly #store: AuditStore
  readonly #log: Logger
  readonly #nowMs: () => number

  constructor(store: AuditStore, log: Logger, nowMs: () => number) {
    this.#store = store
    this.#log = log
    this.#nowMs = nowMs
  }

  async record(request: GateRequest, facts: AuditFacts): Promise<void> {
    const queryAt = request.path.indexOf('?')
    const entry: AuditRecord = {
      timeMs: this.#nowMs(),
      reqId: request.reqId,
      app: undefined,
      host: request.host,
      method: request.req.method ?? 'GET',
      path: (queryAt === -1 ? request.path : request.path.slice(0, queryAt)).slice(0, 2048),
      email: undefined,
      sub: undefined,
      idp: undefined,
      serviceToken: undefined,
      clientIp: request.clientIp,
      policy: undefined,
      reason: undefined,
      ...facts,
    }
    await this.#store.record(entry)
    this.#log.info({
      [LogField.reqId]: entry.reqId,
      [LogField.app]: entry.app,
      [LogField.user]: entry.email,
      [LogField.subject]: entry.sub,
      [LogField.idp]: entry.idp,
      [LogField.serviceToken]: entry.serviceToken,
      [LogField.decision]: entry.decision,
      [LogField.policy]: entry.policy,
      [LogField.reason]: entry.reason,
      [LogField.method]: entry.method,
      [LogField.host]: entry.host,
      [LogField.path]: entry.path,
      [LogField.clientIp]: entry.clientIp,
    }, 'access decision')
  }
}
