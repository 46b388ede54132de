import { readFile } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import type { RelayConfig } from './config.js'
import { ConfigError } from './errors.js'
import { validateRelayConfig } from './validate-config.js'

/**
 * Reads and validates a YAML relay config.
 *
 * @throws ConfigError (code `ERR_CONFIG`) listing every problem: an unreadable file, YAML
 *   syntax, or bad fields.
 */
export async function loadRelayConfig(file: string): Promise<RelayConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new ConfigError(file, [`${file}: cannot read the file (${reason}); check the path`], {
      cause: err,
    })
  }

  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const where = error.linePos?.[0]
      const at = where === undefined ? file : `${file}:${where.line}:${where.col}`
      return `${at}: invalid YAML: ${error.message.split('\n')[0] ?? error.message}`
    })
    throw new ConfigError(file, problems)
  }
  return validateRelayConfig(doc.toJS(), file)
}
