import type { DemoOriginComponent, DemoRelayComponent } from './components.js'
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
  const fate = facts.keep ? 'kept on exit' : 'removed on exit'
  const lines = [
    '',
    'Keyway demo: a relay, a connector and a demo app are running on this machine.',
    ...(relay.portNote === undefined ? [] : [`(${relay.portNote})`]),
    '',
    `  Open       ${appUrl}`,
    `  Or try     curl ${appUrl}`,
    `             curl -H 'Accept: application/json' ${helloUrl}`,
    '',
    `  The relay answers the public on http://127.0.0.1:${port}; the connector dialled out`,
    `  to it at ${relay.tunnelUrl} and forwards`,
    `  ${demoTunnel.appHost} to the demo app at ${origin.url} and ${demoTunnel.helloHost} to`,
    '  its built-in hello_world page.',
    '',
    `  Generated files in ${workspace.dir} (${fate}):`,
    `    ${workspace.relayConfig}`,
    `    ${workspace.connectorConfig}`,
    `    ${workspace.tokenFile}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ]
  return lines.join('\n')
}
