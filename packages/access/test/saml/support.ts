import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import {
  MemorySamlIdStore, SamlIdentityProvider, SamlKeyStore, validateSamlApp, type SamlAppConfig,
  type SamlIdentity, type SamlSession,
} from '../../src/saml/index.js'

/** The auth domain every SAML test serves from. */
export const authDomain = 'auth.keyway.test'

/** A valid `type: saml` entry; `overrides` replace its keys. */
export function samlApp(overrides: Record<string, unknown> = {}): SamlAppConfig {
  return validateSamlApp({
    name: 'wiki',
    type: 'saml',
    entityId: 'https://wiki.example.test/saml/metadata',
    acsUrls: ['https://wiki.example.test/saml/acs', 'https://wiki.example.test/saml/acs2'],
    attributes: { email: 'email', displayName: 'name', memberOf: 'groups', dept: 'department' },
    policies: [{ name: 'staff', action: 'allow', include: [{ everyone: true }] }],
    ...overrides,
  }, 'relay.yaml')
}

/** A user whose display name tries to break out of its AttributeValue. */
export const identity: SamlIdentity = Object.freeze({
  sub: 'user-1234',
  email: 'ada@example.test',
  name: '</saml:AttributeValue><saml:AttributeValue>admin',
  idp: 'corp',
  groups: ['engineering', 'wiki-admins', 'a&b <c>'],
  claims: { department: 'R&D' },
})

export const session: SamlSession = Object.freeze({
  id: 'auth-session-1',
  authnInstantMs: Date.now() - 60_000,
})

/** One in-memory key (RSA generation is slow enough to share it per file). */
export function memoryKeys(): SamlKeyStore {
  return SamlKeyStore.open()
}

/** An identity provider over `keys` with a fresh ID store. */
export function identityProvider(keys: SamlKeyStore, nowMs?: () => number):
  SamlIdentityProvider {
  return new SamlIdentityProvider({ authDomain, keys, ids: new MemorySamlIdStore(), nowMs })
}

/** A scratch directory removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Writes `files` into `dir`; returns their paths by name. */
export function writeFiles(dir: string, files: Record<string, string>): Record<string, string> {
  const paths: Record<string, string> = {}
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name)
    writeFileSync(paths[name], text)
  }
  return paths
}

/** Exit code and output of a finished process. */
export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command` to completion (killed after `timeoutMs`), feeding it `stdin`. */
export function run(command: string, args: readonly string[], stdin = '', timeoutMs = 30_000):
  Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(stdin)
  })
}
