import { readFileSync } from 'node:fs'

function readVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
    const version = (JSON.parse(text) as { version?: unknown }).version
    return typeof version === 'string' ? version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** This connector's release, sent to the relay in the `keyway-version` dial header. */
export const CONNECTOR_VERSION: string = readVersion()
