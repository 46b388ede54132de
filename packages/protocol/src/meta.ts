import { ProtocolError, ProtocolErrorCode } from './errors.js'
import {
  ResetCode,
  StreamKind,
  type HeaderList,
  type InfoHead,
  type ReplyHead,
  type StreamHead,
} from './wire.js'

/**
 * Largest `keyway-meta` or `keyway-trailers` value, in bytes of base64url text. HPACK
 * decoders (nghttp2's among them) refuse any single header field over 64 KiB by failing
 * the whole connection, so the limit stays below that and the sender checks it first.
 */
export const MAX_META_BYTES = 60 * 1024

const kinds = new Set<string>(Object.values(StreamKind))

/**
 * Encodes metadata for the `keyway-meta` (or `keyway-trailers`) header. Throws
 * `ERR_META_TOO_LARGE` when the encoded value would be over {@link MAX_META_BYTES}.
 */
export function encodeMeta(meta: StreamHead | ReplyHead | InfoHead | HeaderList): string {
  const value = Buffer.from(JSON.stringify(meta)).toString('base64url')
  if (value.length > MAX_META_BYTES) throw tooLarge('metadata', value.length)
  return value
}

function tooLarge(what: string, length: number): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.metaTooLarge,
    `"${what}" is ${length} bytes encoded; the limit is ${MAX_META_BYTES}`,
    { resetCode: ResetCode.protocol },
  )
}

function parse(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'string') {
    throw bad(`"${what}" header is missing`)
  }
  if (value.length > MAX_META_BYTES) throw tooLarge(what, value.length)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
  } catch (err) {
    throw bad(`"${what}" is not base64url JSON`, err)
  }
  if (parsed === null || typeof parsed !== 'object') {
    throw bad(`"${what}" must be a JSON object or array`)
  }
  return parsed as Record<string, unknown>
}

function bad(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.badMeta, message, {
    cause,
    resetCode: ResetCode.protocol,
  })
}

function checkHeaders(value: unknown, what: string): HeaderList | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw bad(`"${what}.headers" must be a list of pairs`)
  for (const pair of value) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw bad(`"${what}.headers" must hold [name, value] string pairs`)
    }
  }
  return value as HeaderList
}

function optionalString(obj: Record<string, unknown>, key: string, what: string): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'string') {
    throw bad(`"${what}.${key}" must be a string`)
  }
}

function optionalBoolean(obj: Record<string, unknown>, key: string, what: string): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'boolean') {
    throw bad(`"${what}.${key}" must be a boolean`)
  }
}

/** Decodes and checks the head of a stream opened by the relay. */
export function decodeStreamHead(value: unknown): StreamHead {
  const head = parse(value, 'stream head')
  if (typeof head.kind !== 'string' || !kinds.has(head.kind)) {
    throw bad(`"stream head.kind" must be one of ${[...kinds].join(', ')}`)
  }
  if (typeof head.reqId !== 'string' || typeof head.host !== 'string') {
    throw bad('"stream head" needs string "reqId" and "host"')
  }
  for (const key of ['method', 'target', 'clientIp', 'tunnel', 'connectionId', 'relayId']) {
    optionalString(head, key, 'stream head')
  }
  optionalBoolean(head, 'hasBody', 'stream head')
  optionalBoolean(head, 'mayHaveTrailers', 'stream head')
  if (head.proto !== undefined && head.proto !== 'http' && head.proto !== 'https') {
    throw bad('"stream head.proto" must be "http" or "https"')
  }
  if (head.kind === StreamKind.http || head.kind === StreamKind.upgrade) {
    if (typeof head.method !== 'string' || typeof head.target !== 'string') {
      throw bad(`"stream head" of kind ${head.kind} needs "method" and "target"`)
    }
  }
  checkHeaders(head.headers, 'stream head')
  return head as unknown as StreamHead
}

/** Decodes and checks the connector's answer head. */
export function decodeReplyHead(value: unknown): ReplyHead {
  const head = parse(value, 'reply head')
  if (
    typeof head.status !== 'number' ||
    !Number.isInteger(head.status) ||
    head.status < 100 ||
    head.status > 999
  ) {
    throw bad('"reply head.status" must be an integer from 100 to 999')
  }
  if (typeof head.hasBody !== 'boolean') throw bad('"reply head.hasBody" must be a boolean')
  optionalBoolean(head, 'mayHaveTrailers', 'reply head')
  optionalString(head, 'statusMessage', 'reply head')
  optionalString(head, 'connectorId', 'reply head')
  const { error } = head
  if (error !== undefined) {
    const fields = error as Record<string, unknown> | null
    if (
      fields === null ||
      typeof fields !== 'object' ||
      typeof fields.code !== 'string' ||
      typeof fields.message !== 'string'
    ) {
      throw bad('"reply head.error" must be { code, message } with string values')
    }
  }
  checkHeaders(head.headers, 'reply head')
  return head as unknown as ReplyHead
}

/** Decodes an informational (1xx) head. */
export function decodeInfoHead(value: unknown): InfoHead {
  const head = parse(value, 'info head')
  const { status } = head
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 199) {
    throw bad('"info head.status" must be an integer from 100 to 199')
  }
  checkHeaders(head.headers, 'info head')
  return head as unknown as InfoHead
}

/** Decodes trailers (a header list). */
export function decodeTrailers(value: unknown): HeaderList {
  const list = parse(value, 'trailers')
  return checkHeaders(list, 'trailers') ?? []
}
