import type { Command } from 'commander'

import { accessDataDir } from '../access-data.js'
import { CliError, CliErrorCode } from '../errors.js'
import { configOption } from '../options.js'

/** Flags of the service-token commands. */
interface ServiceTokenOptions {
  readonly config: string
  readonly json?: boolean
}

const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/i

/**
 * `keyway access service-token create NAME`: makes the token in the relay's access database
 * and returns the lines to print. The secret appears only here; the database keeps a salted
 * hash. A running relay accepts the token from its next request on.
 */
export async function createServiceTokenCommand(
  name: string,
  options: ServiceTokenOptions,
): Promise<string> {
  if (!namePattern.test(name)) {
    throw new CliError(
      CliErrorCode.usage,
      `service token name "${name}" is not valid: use letters, digits, ".", "-" and "_", ` +
        'starting with a letter or digit, at most 63 characters',
    )
  }
  const dataDir = await accessDataDir(options.config)
  const access = await import('@keyway/access')
  const token = await access.createServiceToken({ dataDir, name }).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === access.AccessErrorCode.serviceTokenExists) {
      throw new CliError(
        CliErrorCode.serviceToken,
        `service token "${name}" already exists; remove it with "keyway access ` +
          `service-token remove ${name}" to make a new one`,
        { cause: err },
      )
    }
    throw err
  })
  if (options.json === true) return `${JSON.stringify(token)}\n`
  return [
    `Service token "${token.name}" created. The secret is shown only now; store it safely.`,
    '',
    `Keyway-Access-Client-Id: ${token.clientId}`,
    `Keyway-Access-Client-Secret: ${token.clientSecret}`,
    '',
    `A policy admits it with: action: service_auth, include: [{ serviceToken: [${token.name}] }]`,
    '',
  ].join('\n')
}

/** `keyway access service-token list`: names, client ids and creation times, never secrets. */
export async function listServiceTokensCommand(options: ServiceTokenOptions): Promise<string> {
  const dataDir = await accessDataDir(options.config)
  const access = await import('@keyway/access')
  const tokens = await access.listServiceTokens({ dataDir })
  const rows = tokens.map((token) => ({
    name: token.name,
    clientId: token.clientId,
    createdAt: new Date(token.createdAtMs).toISOString(),
  }))
  if (options.json === true) return rows.map((row) => `${JSON.stringify(row)}\n`).join('')
  if (rows.length === 0) return 'no service tokens\n'
  const width = Math.max(4, ...rows.map((row) => row.name.length))
  const lines = rows.map((row) => `${row.name.padEnd(width)}  ${row.clientId}  ${row.createdAt}`)
  return `${'NAME'.padEnd(width)}  ${'CLIENT ID'.padEnd(39)}  CREATED\n${lines.join('\n')}\n`
}

/** `keyway access service-token remove NAME`: requests with the token are refused at once. */
export async function removeServiceTokenCommand(
  name: string,
  options: ServiceTokenOptions,
): Promise<string> {
  const dataDir = await accessDataDir(options.config)
  const access = await import('@keyway/access')
  if (!(await access.removeServiceToken({ dataDir, name }))) {
    throw new CliError(
      CliErrorCode.serviceToken,
      `there is no service token "${name}"; "keyway access service-token list" shows them`,
    )
  }
  return `service token "${name}" removed; requests that send it are refused from now on\n`
}

/** Adds `keyway access service-token create|list|remove`. */
export function registerServiceTokenCommands(access: Command): void {
  const serviceToken = access
    .command('service-token')
    .description('credentials for machines that pass service_auth policies')

  serviceToken
    .command('create')
    .description('make a service token and print its client id and secret, once')
    .argument('<name>', 'the name policies use in "serviceToken: [NAME]"')
    .addOption(configOption('relay'))
    .option('--json', 'print {"name","clientId","clientSecret"} as one JSON line', false)
    .addHelpText(
      'after',
      '\nMachines send the two values as the Keyway-Access-Client-Id and ' +
        'Keyway-Access-Client-Secret\nheaders. The relay keeps only a salted hash of the ' +
        'secret: it cannot be shown again.',
    )
    .action(async (name: string, options: ServiceTokenOptions) => {
      process.stdout.write(await createServiceTokenCommand(name, options))
    })

  serviceToken
    .command('list')
    .description('list the service tokens: name, client id, creation time')
    .addOption(configOption('relay'))
    .option('--json', 'print one JSON object per token and line', false)
    .action(async (options: ServiceTokenOptions) => {
      process.stdout.write(await listServiceTokensCommand(options))
    })

  serviceToken
    .command('remove')
    .description('delete a service token; requests with it are refused at once')
    .argument('<name>', 'the token to remove')
    .addOption(configOption('relay'))
    .action(async (name: string, options: ServiceTokenOptions) => {
      process.stdout.write(await removeServiceTokenCommand(name, options))
    })
}
