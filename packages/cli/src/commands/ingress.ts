import type { Command } from 'commander'
import { loadConnectorConfig, matchIngress, renderIngressRules } from '@keyway/connector'

import { CliError, CliErrorCode } from '../errors.js'
import { configOption } from '../options.js'

/** `keyway tunnel ingress validate`: checks a connector config and lists its rules. */
export function validateIngress(configFile: string): string {
  const config = loadConnectorConfig(configFile)
  const count = config.ingress.length
  const rules = count === 1 ? '1 ingress rule' : `${count} ingress rules`
  return `${configFile}: valid, ${rules}\n${renderIngressRules(config.ingress)}\n`
}

/** `keyway tunnel ingress rule URL`: the rule (numbered from 1) a URL matches, and its service. */
export function explainIngressRule(configFile: string, url: string): string {
  const config = loadConnectorConfig(configFile)
  const target = parseTargetUrl(url)
  const match = matchIngress(config.ingress, {
    host: target.host,
    path: `${target.pathname}${target.search}`,
  })
  if (match === undefined) {
    const message = `no ingress rule of ${configFile} matches ${url}`
    throw new CliError(CliErrorCode.noRuleMatches, message)
  }
  return `${renderIngressRules([match.rule])}\n`
}

function parseTargetUrl(url: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`
  try {
    const parsed = new URL(text)
    if (parsed.host !== '') return parsed
  } catch {
    // Reported below with the usage hint.
  }
  throw new CliError(
    CliErrorCode.usage,
    `"${url}" is not a URL; write it like https://app.example.com/api/users`,
  )
}

/** Adds `ingress validate` and `ingress rule` under `keyway tunnel`. */
export function registerIngressCommands(tunnel: Command): void {
  const ingress = tunnel
    .command('ingress')
    .description('check ingress rules: validate a connector config, or test a URL against it')

  ingress
    .command('validate')
    .description('check connector.yaml and list its rules from 1')
    .addOption(configOption('connector'))
    .action((options: { config: string }) => {
      process.stdout.write(validateIngress(options.config))
    })

  ingress
    .command('rule')
    .description('show the rule (from 1) a URL hits, and its service')
    .argument('<url>', 'a public URL, such as https://app.example.com/api/users')
    .addOption(configOption('connector'))
    .action((url: string, options: { config: string }) => {
      process.stdout.write(explainIngressRule(options.config, url))
    })
}
