import { afterEach, describe, expect, it } from 'vitest'
import { startHandler, type HandlerHarness } from './support/handler-harness.js'
import { readAll } from './support/streams.js'

let harness: HandlerHarness | undefined

afterEach(async () => {
  await harness?.close()
  harness = undefined
})

describe('builtin services', () => {
  describe('#respondStatus', () => {
    it.each([404, 418, 503])(
      'answers http_status:%i with that status and no body', async (status) => {
        harness = await startHandler({ ingress: [{ service: `http_status:${status}` }] })

        const stream = harness.open({ method: 'POST', hasBody: true })
        stream.data.end('ignored request body')
        const reply = await stream.reply
        const body = await readAll(stream.data)

        expect(reply.status).toBe(status)
        expect(reply.hasBody).toBe(false)
        expect(body.length).toBe(0)
      })
  })

  describe('#respondHello', () => {
    it('reports the request it received as JSON when asked for JSON', async () => {
      harness = await startHandler({
        ingress: [
          { hostname: 'other.test', service: 'http_status:404' },
          { service: 'hello_world' },
        ],
      })
      const headers: Array<[string, string]> = [
        ['Host', 'app.test'],
        ['Accept', 'application/json'],
        ['X-Trace', 'one'],
        ['x-trace', 'two'],
      ]

      const stream = harness.open({ method: 'GET', target: '/some/path?q=1', headers })
      const reply = await stream.reply
      const report = JSON.parse((await readAll(stream.data)).toString()) as Record<string, unknown>

      expect(reply.status).toBe(200)
      expect(report).toEqual({
        service: 'keyway hello_world',
        method: 'GET',
        host: 'app.test',
        path: '/some/path?q=1',
        headers,
        rule: 2,
      })
    })

    it('shows an HTML page with header values escaped', async () => {
      harness = await startHandler({ ingress: [{ service: 'hello_world' }] })

      const stream = harness.open({
        target: '/hello',
        headers: [['Host', 'app.test'], ['X-Evil', '<script>alert(1)</script>']],
      })
      const reply = await stream.reply
      const page = (await readAll(stream.data)).toString()

      expect(reply.headers).toContainEqual(['Content-Type', 'text/html; charset=utf-8'])
      expect(page).toContain('Your Keyway tunnel works')
      expect(page).toContain('<td>/hello</td>')
      expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
      expect(page).not.toContain('<script>')
    })

    it('answers HEAD without a body', async () => {
      harness = await startHandler({ ingress: [{ service: 'hello_world' }] })

      const stream = harness.open({ method: 'HEAD' })
      const reply = await stream.reply
      const body = await readAll(stream.data)

      expect(reply.status).toBe(200)
      expect(reply.hasBody).toBe(false)
      expect(body.length).toBe(0)
    })
  })

  describe('a TCP session on a rule that answers HTTP itself', () => {
    it.each(['hello_world', 'http_status:200', 'http_status:204'])(
      'refuses it on %s instead of carrying a page as raw bytes', async (service) => {
        harness = await startHandler({ ingress: [{ service }] })

        const stream = harness.open({ kind: 'tcp', hasBody: true })
        stream.data.end('SSH-2.0-client\r\n')
        const reply = await stream.reply
        const body = (await readAll(stream.data)).toString()

        expect(reply.status).toBe(502)
        expect(reply.error?.message).toBe(`rule 1 serves HTTP (${service}), not TCP`)
        expect(body).not.toContain('Keyway tunnel works')
      })

    it('still answers a refusing http_status (the catch-all) with its status', async () => {
      harness = await startHandler({ ingress: [{ service: 'http_status:404' }] })

      const stream = harness.open({ kind: 'tcp', hasBody: true })
      stream.data.end()
      const reply = await stream.reply

      expect(reply.status).toBe(404)
    })
  })
})
