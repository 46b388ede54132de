import type { DemoOriginComponent, DemoRelayComponent } from './components.js'
import { demoIdentity } from './identity.js'
import { demoTunnel, type DemoWorkspace } from './workspace.js'

/** What `keyway demo` prints once everything runs. */
export function demoBanner(facts: {
  workspace: DemoWorkspace
  relay: DemoRelayComponent
  origin: DemoOriginComponent
  keep: boolean
}): string {
  const { workspace, relay, origin } = facts
  const port = relay.publicPort
  const appUrl = `http://${demoTunnel.appHost}:${port}/`
  const helloUrl = `http://${demoTunnel.helloHost}:${port}/`
  const privateUrl = `http://${demoTunnel.privateHost}:${port}/`
  const fate = facts.keep ? 'kept on exit' : 'removed on exit'
  const lines = [
    '',
    'Keyway demo: a relay, a connector, a demo app and an OpenID provider are running on',
    'this machine.',
    ...(relay.portNote === undefined ? [] : [`(${relay.portNote})`]),
    '',
    `  Open       ${appUrl}`,
    '             a public app: no login',
    `  Sign in    ${privateUrl}`,
    '             a protected app: the relay sends you to the demo OpenID provider;',
    `             log in as "${demoIdentity.login}" with any password ` +
      `(${demoIdentity.email})`,
    `  Or try     curl ${appUrl}`,
    `             curl -H 'Accept: application/json' ${helloUrl}`,
    `             curl -i ${privateUrl}   (401 or a redirect: no session)`,
    '',
    `  The relay answers the public on http://127.0.0.1:${port}; the connector dialled out`,
    `  to it at ${relay.tunnelUrl} and forwards`,
    `  ${demoTunnel.appHost} and ${demoTunnel.privateHost} to the demo app at ${origin.url},`,
    `  and ${demoTunnel.helloHost} to its built-in hello_world page. Logins happen on`,
    `  http://${demoIdentity.authHost}:${port}/ with the provider at ${relay.provider.issuer},`,
    '  a development provider that keeps its state in memory and takes any password.',
    `  Every decision goes to the audit log: keyway logs --config ${workspace.relayConfig}`,
    '',
    `  Generated files in ${workspace.dir} (${fate}):`,
    `    ${workspace.relayConfig}`,
    `    ${workspace.connectorConfig}`,
    `    ${workspace.tokenFile}`,
    `    ${workspace.clientSecretFile}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ]
  return lines.join('\n')
}
