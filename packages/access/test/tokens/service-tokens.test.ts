import { describe, expect, it } from 'vitest'

import { AccessError, MemoryServiceTokenStore, ServiceTokens } from '../../src/index.js'

describe('ServiceTokens', () => {
  it('returns the secret once and stores only a salted hash', async () => {
    const store = new MemoryServiceTokenStore()
    const tokens = new ServiceTokens({ store })
    const made = await tokens.create('ci-deploy')
    expect(made.clientId).toMatch(/^[0-9a-f]{32}\.access$/)
    expect(made.clientSecret).toMatch(/^[0-9a-f]{64}$/)
    const [record] = await store.list()
    expect(JSON.stringify(record)).not.toContain(made.clientSecret)
    expect(record!.salt).not.toBe('')
    expect(await tokens.verify(made.clientId, made.clientSecret)).toBe('ci-deploy')
  })

  it('salts every token with its own salt', async () => {
    const store = new MemoryServiceTokenStore()
    const tokens = new ServiceTokens({ store })
    await tokens.create('a')
    await tokens.create('b')
    const [a, b] = await store.list()
    expect(a!.hash).not.toBe(b!.hash)
    expect(a!.salt).not.toBe(b!.salt)
  })

  it('refuses a wrong secret, an unknown id and another token id', async () => {
    const tokens = new ServiceTokens({ store: new MemoryServiceTokenStore() })
    const a = await tokens.create('a')
    const b = await tokens.create('b')
    expect(await tokens.verify(a.clientId, `${a.clientSecret.slice(0, -1)}0`)).toBeUndefined()
    expect(await tokens.verify('nobody.access', a.clientSecret)).toBeUndefined()
    expect(await tokens.verify(b.clientId, a.clientSecret)).toBeUndefined()
  })

  it('refuses a removed token even after a cached success', async () => {
    const tokens = new ServiceTokens({ store: new MemoryServiceTokenStore() })
    const a = await tokens.create('a')
    expect(await tokens.verify(a.clientId, a.clientSecret)).toBe('a')
    expect(await tokens.remove('a')).toBe(true)
    expect(await tokens.verify(a.clientId, a.clientSecret)).toBeUndefined()
  })

  it('refuses a second token with the same name', async () => {
    const tokens = new ServiceTokens({ store: new MemoryServiceTokenStore() })
    await tokens.create('a')
    await expect(tokens.create('a')).rejects.toBeInstanceOf(AccessError)
    await expect(tokens.create('bad name')).rejects.toBeInstanceOf(TypeError)
  })
})
