import { describe, expect, it } from 'vitest'

import { ClientError, ClientErrorCode } from '../src/errors.js'
import { holdDenials } from '../src/denial-hold.js'

describe('holdDenials', () => {
  it('answers a denial from memory for the hold, then asks again', async () => {
    let now = 1_000
    let calls = 0
    const denied = new ClientError(ClientErrorCode.accessDenied, 'access to app is denied')
    const connect = holdDenials(async () => {
      calls++
      if (calls === 1) throw denied
      return 'tunnel'
    }, { holdMs: 60_000, nowMs: () => now })

    await expect(connect()).rejects.toBe(denied)
    now += 59_999
    await expect(connect()).rejects.toBe(denied)
    expect(calls).toBe(1)
    now += 1
    expect(await connect()).toBe('tunnel')
    expect(calls).toBe(2)
  })

  it('keeps no other error: the next connection tries again', async () => {
    let calls = 0
    const connect = holdDenials(async () => {
      calls++
      if (calls === 1) throw new ClientError(ClientErrorCode.relayUnreachable, 'cannot reach')
      return 'tunnel'
    })

    await expect(connect()).rejects.toThrow('cannot reach')
    expect(await connect()).toBe('tunnel')
  })
})
