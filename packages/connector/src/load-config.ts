import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import type { ConnectorConfig } from './config.js'
import { ConfigError } from './errors.js'
import { validateConnectorConfig } from './validate-config.js'

/**
 * Reads and validates a YAML connector config.
 *
 * @throws ConfigError listing every problem (unreadable file, YAML syntax, bad fields).
 */
export function loadConnectorConfig(file: string): ConnectorConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
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
      const summary = error.message.split('\n')[0] ?? error.message
      return `${at}: invalid YAML: ${summary}`
    })
    throw new ConfigError(file, problems)
  }
  return validateConnectorConfig(doc.toJS(), file)
}
