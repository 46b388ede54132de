import { describe, expect, it } from 'vitest'
import { ProtocolError, ProtocolErrorCode } from '../src/errors.js'
import {
  MAX_META_BYTES,
  decodeInfoHead,
  decodeReplyHead,
  decodeStreamHead,
  decodeTrailers,
  encodeMeta,
} from '../src/meta.js'
import { ResetCode, type HeaderList, type ReplyHead, type StreamHead } from '../src/wire.js'

/** base64url of any JSON value, valid for the decoder or not. */
function raw(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function failure(action: () => unknown): ProtocolError {
  try {
    action()
  } catch (err) {
    if (err instanceof ProtocolError) return err
    throw err
  }
  throw new Error('expected a ProtocolError')
}

const head: StreamHead = {
  kind: 'http',
  reqId: 'r1',
  host: 'app.test',
  method: 'GET',
  target: '/',
}

describe('meta', () => {
  describe('#encodeMeta', () => {
    it('round-trips a stream head with its header list exactly', () => {
      const headers: HeaderList = [['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-É', 'ü']]
      const full: StreamHead = { ...head, headers, hasBody: true, proto: 'https' }

      expect(decodeStreamHead(encodeMeta(full))).toEqual(full)
    })

    it('refuses metadata whose encoding is over the limit, naming the limit', () => {
      const big: HeaderList = [['x-big', 'b'.repeat(MAX_META_BYTES)]]
      const err = failure(() => encodeMeta(big))

      expect(err.code).toBe(ProtocolErrorCode.metaTooLarge)
      expect(err.message).toContain(String(MAX_META_BYTES))
    })
  })

  describe('#decodeStreamHead', () => {
    it.each<[string, unknown, string]>([
      ['a missing header', undefined, 'missing'],
      ['a non-string header', 42, 'missing'],
      ['text that is not JSON', Buffer.from('{nope').toString('base64url'), 'base64url JSON'],
      ['an empty value', '', 'base64url JSON'],
      ['a JSON string', raw('http'), 'object or array'],
      ['JSON null', raw(null), 'object or array'],
      ['an unknown kind', raw({ ...head, kind: 'smtp' }), '"stream head.kind"'],
      ['no reqId', raw({ kind: 'tcp', host: 'h' }), '"reqId" and "host"'],
      ['a numeric host', raw({ kind: 'tcp', reqId: 'r', host: 7 }), '"reqId" and "host"'],
      ['http without a method', raw({ ...head, method: undefined }), 'needs "method"'],
      ['upgrade without a target', raw({ ...head, kind: 'upgrade', target: undefined }), 'target'],
      ['a numeric clientIp', raw({ ...head, clientIp: 1 }), '"stream head.clientIp"'],
      ['a string hasBody', raw({ ...head, hasBody: 'yes' }), '"stream head.hasBody"'],
      ['an unknown proto', raw({ ...head, proto: 'ftp' }), '"stream head.proto"'],
      ['headers that are an object', raw({ ...head, headers: { a: 'b' } }), 'list of pairs'],
      ['a header triple', raw({ ...head, headers: [['a', 'b', 'c']] }), 'string pairs'],
      ['a numeric header value', raw({ ...head, headers: [['a', 1]] }), 'string pairs'],
    ])('refuses %s', (_, value, message) => {
      const err = failure(() => decodeStreamHead(value))

      expect(err.code).toBe(ProtocolErrorCode.badMeta)
      expect(err.resetCode).toBe(ResetCode.protocol)
      expect(err.message).toContain(message)
    })

    it('refuses a value over the limit before decoding it', () => {
      const err = failure(() => decodeStreamHead('A'.repeat(MAX_META_BYTES + 1)))

      expect(err.code).toBe(ProtocolErrorCode.metaTooLarge)
      expect(err.resetCode).toBe(ResetCode.protocol)
    })

    it('accepts a tcp head without method or target', () => {
      const tcp: StreamHead = { kind: 'tcp', reqId: 'r', host: 'ssh.test', hasBody: true }

      expect(decodeStreamHead(raw(tcp))).toEqual(tcp)
    })
  })

  describe('#decodeReplyHead', () => {
    const reply: ReplyHead = { status: 200, hasBody: true }

    it.each<[string, unknown, string]>([
      ['a missing status', raw({ hasBody: true }), '"reply head.status"'],
      ['a status below 100', raw({ ...reply, status: 99 }), '"reply head.status"'],
      ['a status over 999', raw({ ...reply, status: 1000 }), '"reply head.status"'],
      ['a fractional status', raw({ ...reply, status: 200.5 }), '"reply head.status"'],
      ['no hasBody', raw({ status: 200 }), '"reply head.hasBody"'],
      ['a numeric statusMessage', raw({ ...reply, statusMessage: 1 }), 'statusMessage'],
      ['a string mayHaveTrailers', raw({ ...reply, mayHaveTrailers: 'no' }), 'mayHaveTrailers'],
      ['an error without a code', raw({ ...reply, error: { message: 'm' } }), '.error"'],
      ['an error that is a string', raw({ ...reply, error: 'boom' }), '"reply head.error"'],
      ['headers that are not pairs', raw({ ...reply, headers: [['a']] }), 'string pairs'],
    ])('refuses %s', (_, value, message) => {
      const err = failure(() => decodeReplyHead(value))

      expect(err.code).toBe(ProtocolErrorCode.badMeta)
      expect(err.message).toContain(message)
    })

    it('keeps an origin error code and message', () => {
      const failed: ReplyHead = {
        status: 502,
        hasBody: true,
        error: { code: 'ERR_ORIGIN_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
      }

      expect(decodeReplyHead(raw(failed))).toEqual(failed)
    })
  })

  describe('#decodeInfoHead', () => {
    it.each<[string, unknown]>([
      ['a final status', raw({ status: 200 })],
      ['a fractional status', raw({ status: 100.5 })],
      ['a string status', raw({ status: '103' })],
      ['headers that are not pairs', raw({ status: 103, headers: 'Link: </a>' })],
    ])('refuses %s', (_, value) => {
      expect(failure(() => decodeInfoHead(value)).code).toBe(ProtocolErrorCode.badMeta)
    })
  })

  describe('#decodeTrailers', () => {
    it.each<[string, unknown]>([
      ['an object', raw({ 'x-sum': 'a' })],
      ['a list of strings', raw(['x-sum', 'a'])],
      ['a missing header', undefined],
    ])('refuses %s', (_, value) => {
      expect(failure(() => decodeTrailers(value)).code).toBe(ProtocolErrorCode.badMeta)
    })

    it('keeps repeated trailer names in order', () => {
      const list: HeaderList = [['X-Sum', 'a'], ['x-sum', 'b']]

      expect(decodeTrailers(encodeMeta(list))).toEqual(list)
    })
  })
})
