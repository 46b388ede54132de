import { loadRelayConfig } from '@keyway/relay'

import { CliError, CliErrorCode } from './errors.js'

/**
 * The relay's `dataDir` for the commands that read or change its access database (`keyway
 * access service-token`, `keyway logs`), after checking that relay.yaml has an `access:`
 * section: without one the relay keeps no access database.
 *
 * @throws CliError `ERR_ACCESS_NOT_CONFIGURED`, or the relay's config error.
 */
export async function accessDataDir(configFile: string): Promise<string> {
  const config = await loadRelayConfig(configFile)
  if (config.access === undefined) {
    throw new CliError(
      CliErrorCode.accessNotConfigured,
      `${configFile} has no "access" section, so the relay keeps no access database; add ` +
        'one (see docs/configuration.md) before using service tokens or the audit log',
    )
  }
  return config.dataDir
}
