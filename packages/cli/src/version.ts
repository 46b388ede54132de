import { readFileSync } from 'node:fs'

/** The version of the `keyway` command, from this package's package.json. */
export const CLI_VERSION: string = readVersion()

function readVersion(): string {
  const manifest = new URL('../package.json', import.meta.url)
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0'
}
