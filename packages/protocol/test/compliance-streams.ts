import { describe, expect, it } from 'vitest'
import { ProtocolErrorCode, type ProtocolError } from '../src/errors.js'
import { ResetCode } from '../src/wire.js'
import type { ComplianceFixture } from './compliance.js'
import {
  closed,
  echo,
  hashAll,
  httpHead,
  readAll,
  sendRandom,
  serveStreams,
  watchEnds,
  writeUntilStalled,
} from './support/stream-io.js'

/** What a writer may have buffered on its own side beyond the peer's window. */
const WRITER_SLACK_BYTES = 64 * 1024
const LARGE_TRANSFER_BYTES = 64 * 1024 * 1024

/** Compliance cases for the bytes of streams: order, half-close, resets, flow control. */
export function streamCases(f: ComplianceFixture): void {
  describe('bytes', () => {
    it('keeps the order of bytes within a stream', async () => {
      serveStreams(f.acceptor, echo)
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      const sent: Buffer[] = []
      for (let i = 0; i < 2000; i++) {
        const chunk = Buffer.from(`${i}:`.padEnd(1 + ((i * 7919) % 3000), '.'))
        sent.push(chunk)
        stream.data.write(chunk)
      }
      stream.data.end()
      const echoed = await readAll(stream.data)

      expect(echoed.equals(Buffer.concat(sent))).toBe(true)
    })

    it('carries 64 MiB intact in both directions at once', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      const incoming = await served
      incoming.respond({ status: 200, hasBody: true })

      const [up, upArrived, down, downArrived] = await Promise.all([
        sendRandom(stream.data, LARGE_TRANSFER_BYTES),
        hashAll(incoming.data),
        sendRandom(incoming.data, LARGE_TRANSFER_BYTES),
        hashAll(stream.data),
      ])

      expect(upArrived).toEqual({ bytes: LARGE_TRANSFER_BYTES, sha256: up })
      expect(downArrived).toEqual({ bytes: LARGE_TRANSFER_BYTES, sha256: down })
    })
  })

  describe('half-close', () => {
    it('lets the acceptor answer after the opener ended its side', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      stream.data.end('question')
      const incoming = await served
      const question = await readAll(incoming.data)
      incoming.respond({ status: 200, hasBody: true })
      incoming.data.end(`answer to ${question.toString()}`)
      const answer = await readAll(stream.data)
      await Promise.all([closed(stream), closed(incoming)])

      expect(answer.toString()).toBe('answer to question')
      expect(stream.resetCode).toBeUndefined()
      expect(incoming.resetCode).toBeUndefined()
    })

    it('lets the opener keep sending after the acceptor ended its side', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      const incoming = await served
      incoming.respond({ status: 200, hasBody: true })
      incoming.data.end('early answer')
      const answer = await readAll(stream.data)
      stream.data.end('late upload')
      const upload = await readAll(incoming.data)
      await Promise.all([closed(stream), closed(incoming)])

      expect(answer.toString()).toBe('early answer')
      expect(upload.toString()).toBe('late upload')
      expect(stream.resetCode).toBeUndefined()
      expect(incoming.resetCode).toBeUndefined()
    })
  })

  describe('reset', () => {
    it.each([ResetCode.cancel, ResetCode.internal, ResetCode.connect])(
      'shows the acceptor the code %i when the opener resets mid-body',
      async (code) => {
        const served = f.nextStream()
        const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
        stream.data.write('some of the body')
        const incoming = await served
        const ends = watchEnds(incoming)
        incoming.data.resume()
        stream.reset(code)
        await Promise.all([closed(stream), closed(incoming)])

        expect(incoming.resetCode).toBe(code)
        expect(stream.resetCode).toBe(code)
        expect(ends.cleanEnds).toBe(0)
      },
    )

    it.each([ResetCode.cancel, ResetCode.internal, ResetCode.connect])(
      'shows the opener the code %i when the acceptor resets mid-body',
      async (code) => {
        const served = f.nextStream()
        const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
        const ends = watchEnds(stream)
        const incoming = await served
        incoming.respond({ status: 200, hasBody: true })
        incoming.data.write('part of the answer')
        await stream.reply
        stream.data.resume()
        incoming.reset(code)
        await Promise.all([closed(stream), closed(incoming)])

        expect(stream.resetCode).toBe(code)
        expect(incoming.resetCode).toBe(code)
        expect(ends.cleanEnds).toBe(0)
      },
    )

    it('reports a reset after the opener finished sending, not a clean end', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      const ends = watchEnds(stream)
      stream.data.end('whole request')
      const incoming = await served
      await readAll(incoming.data)
      incoming.respond({ status: 200, hasBody: true })
      incoming.data.write('half an answer')
      await stream.reply
      stream.data.resume()
      incoming.reset(ResetCode.internal)
      await closed(stream)

      expect(stream.resetCode).toBe(ResetCode.internal)
      expect(ends.cleanEnds).toBe(0)
    })

    it('rejects the reply when the acceptor resets before answering', async () => {
      serveStreams(f.acceptor, (incoming) => incoming.reset(ResetCode.refused))
      const stream = f.opener.open(httpHead(), { hasBody: false })
      const outcome = await stream.reply.then(
        () => 'answered',
        (err: unknown) => (err as ProtocolError).code,
      )

      expect(outcome).toBe(ProtocolErrorCode.streamReset)
      expect(stream.resetCode).toBe(ResetCode.refused)
    })
  })

  describe('backpressure', () => {
    it('holds at most a window for a paused acceptor, then delivers it all', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      const incoming = await served
      const sent: Buffer[] = []
      const capBytes = f.pair.streamWindowBytes * 3
      const written = await writeUntilStalled(stream.data, capBytes, (c) => sent.push(c))

      expect(written).toBeLessThanOrEqual(f.pair.streamWindowBytes + WRITER_SLACK_BYTES)
      const arriving = readAll(incoming.data)
      await writeUntilStalled(stream.data, capBytes - written, (c) => sent.push(c))
      stream.data.end()
      expect((await arriving).equals(Buffer.concat(sent))).toBe(true)
    })

    it('holds at most a window for a paused opener, then delivers it all', async () => {
      const served = f.nextStream()
      const stream = f.opener.open(httpHead(), { hasBody: false })
      const incoming = await served
      incoming.respond({ status: 200, hasBody: true })
      await stream.reply
      const sent: Buffer[] = []
      const capBytes = f.pair.streamWindowBytes * 3
      const written = await writeUntilStalled(incoming.data, capBytes, (c) => sent.push(c))

      expect(written).toBeLessThanOrEqual(f.pair.streamWindowBytes + WRITER_SLACK_BYTES)
      const arriving = readAll(stream.data)
      await writeUntilStalled(incoming.data, capBytes - written, (c) => sent.push(c))
      incoming.data.end()
      expect((await arriving).equals(Buffer.concat(sent))).toBe(true)
    })
  })

  describe('many streams', () => {
    it('opens and closes 10,000 streams one after another', async () => {
      let served = 0
      serveStreams(f.acceptor, (incoming) => {
        served++
        incoming.respond({ status: 204, hasBody: false })
        incoming.data.resume()
      })
      for (let i = 0; i < 10_000; i++) {
        const stream = f.opener.open(httpHead({ reqId: `seq-${i}` }), { hasBody: false })
        const reply = await stream.reply
        if (reply.status !== 204) throw new Error(`stream ${i} answered ${reply.status}`)
        stream.data.resume()
        await closed(stream)
      }

      expect(served).toBe(10_000)
      expect(f.opener.activeStreams).toBe(0)
    })

    it('carries 1,000 streams at once, each with its own bytes', async () => {
      serveStreams(f.acceptor, echo)
      const results = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const stream = f.opener.open(httpHead({ reqId: `par-${i}` }), { hasBody: true })
          const body = Buffer.from(`stream ${i};`.repeat(200))
          stream.data.end(body)
          return (await readAll(stream.data)).equals(body)
        }),
      )

      expect(results.filter((same) => !same)).toHaveLength(0)
      expect(f.opener.activeStreams).toBeLessThanOrEqual(1000)
    })
  })

}
