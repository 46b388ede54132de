/**
 * Runs the test OpenID provider as its own process. The options (`OidcProviderOptions` as
 * JSON) come from the first argument or the `KEYWAY_TEST_OIDC_CONFIG` environment variable.
 * Once listening it prints one JSON line `{"msg":"oidc provider listening","issuer","port"}`
 * on stdout. SIGTERM or SIGINT closes it and exits 0.
 */
import { startOidcProvider } from './oidc-provider.js'
import type { OidcProviderOptions } from './oidc-provider-config.js'

async function main(): Promise<void> {
  const raw = process.argv[2] ?? process.env['KEYWAY_TEST_OIDC_CONFIG']
  if (raw === undefined) {
    process.stderr.write(
      'oidc-provider-main: pass the options as JSON in the first argument ' +
        'or in KEYWAY_TEST_OIDC_CONFIG\n',
    )
    process.exit(2)
  }
  let options: OidcProviderOptions
  try {
    options = JSON.parse(raw) as OidcProviderOptions
  } catch (err) {
    process.stderr.write(`oidc-provider-main: the options are not JSON: ${String(err)}\n`)
    process.exit(2)
  }

  const provider = await startOidcProvider(options)
  const line = { msg: 'oidc provider listening', issuer: provider.issuer, port: provider.port }
  process.stdout.write(`${JSON.stringify(line)}\n`)
  const shutdown = (): void => {
    void provider.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

main().catch((err: unknown) => {
  process.stderr.write(`oidc-provider-main: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
