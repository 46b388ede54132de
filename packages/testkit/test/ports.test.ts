import { createServer } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'

import {
  TestkitErrorCode,
  freePort,
  freePorts,
  isListening,
  spawnProcess,
  stopAll,
  waitForListen,
} from '../src/index.js'

afterEach(stopAll)

describe('freePorts', () => {
  it('returns distinct ports that can be listened on', async () => {
    const ports = await freePorts(5)
    expect(new Set(ports).size).toBe(5)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve))
    expect(await isListening(ports[0] as number)).toBe(true)
    await new Promise((resolve) => server.close(resolve))
  })

  it('rejects a bad count', async () => {
    await expect(freePorts(0)).rejects.toThrow(/'count' must be an integer/)
  })
})

describe('waitForListen', () => {
  it('resolves once a listener appears on the port', async () => {
    const port = await freePort()
    expect(await isListening(port)).toBe(false)
    const server = createServer()
    setTimeout(() => server.listen(port, '127.0.0.1'), 300)
    await waitForListen(port, { timeoutMs: 5_000 })
    expect(await isListening(port)).toBe(true)
    await new Promise((resolve) => server.close(resolve))
  })

  it('fails at once with the output when the process exits first', async () => {
    const port = await freePort()
    const child = spawnProcess(
      process.execPath,
      ['-e', "console.error('bind failed'); process.exit(1)"],
    )
    const error = await waitForListen(port, { process: child, timeoutMs: 10_000 }).catch((e) => e)
    expect(error).toMatchObject({ code: TestkitErrorCode.processExited })
    expect(String(error.message)).toContain('bind failed')
  })

  it('times out when nothing listens', async () => {
    const port = await freePort()
    const error = await waitForListen(port, { timeoutMs: 300 }).catch((e) => e)
    expect(error).toMatchObject({ code: TestkitErrorCode.timeout })
  })
})
