import type { AccessGate } from '@keyway/access'
import { loadRelayConfig, type RelayConfig } from '@keyway/relay'
import type { Logger } from 'pino'

/**
 * Builds the relay's access gate from the `access:` section of relay.yaml, or returns
 * undefined when there is none (every route is then public). The access layer is loaded
 * only here, so the commands that do not need it never open its stores.
 *
 * @throws the access layer's config error (code `ERR_CONFIG`) naming every problem.
 */
export async function openAccessGate(
  config: RelayConfig,
  logger: Logger,
): Promise<AccessGate | undefined> {
  if (config.access === undefined) return undefined
  const access = await import('@keyway/access')
  const accessConfig = access.validateAccessConfig(config.access, config.file)
  return access.createAccessGate({ config: accessConfig, dataDir: config.dataDir, logger })
}

/**
 * On SIGHUP, reads relay.yaml again and swaps in its `access:` section; a config with
 * problems is logged and the running one kept. Returns a function that removes the handler.
 */
export function reloadAccessOnHangup(gate: AccessGate, file: string, logger: Logger): () => void {
  const onHangup = (): void => {
    reloadAccess(gate, file).then(
      () => logger.info({ file }, 'access config reloaded'),
      (err: unknown) => logger.error({ err, file }, 'access config not reloaded; keeping the old'),
    )
  }
  process.on('SIGHUP', onHangup)
  return () => {
    process.off('SIGHUP', onHangup)
  }
}

async function reloadAccess(gate: AccessGate, file: string): Promise<void> {
  const config = await loadRelayConfig(file)
  if (config.access === undefined) {
    throw new Error(`${file} no longer has an "access" section; restart the relay to drop it`)
  }
  const access = await import('@keyway/access')
  gate.reload(access.validateAccessConfig(config.access, config.file))
}
