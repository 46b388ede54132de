import { Option, type Command } from 'commander'
import {
  checkRelayReachable,
  connectApp,
  isClientError,
  login,
  renderSshConfig,
  requireToken,
  resolveAppTarget,
  sshProxy,
  holdDenials,
  tcpListener,
  type ConnectOptions,
  type ServiceToken,
} from '@keyway/client'

import { CliError, CliErrorCode, ExitCode } from '../errors.js'

/** Flags shared by the commands that name an app. */
interface AppFlags {
  readonly hostname?: string
}

/** Flags of the commands that open TCP sessions. */
interface SessionFlags extends AppFlags {
  readonly serviceTokenId?: string
  readonly serviceTokenSecret?: string
}

/** Flags of `keyway access tcp`. */
interface TcpFlags extends SessionFlags {
  readonly listen: string
}

/** How long `keyway access ssh` may still finish the session after ssh hung up. */
const sshHangupGraceMs = 2_000

const hostnameHelp =
  "the app's hostname (ssh.example.com, HTTPS on 443) or a URL (http://ssh.localhost:8080)"

/** Adds the end-user commands under `keyway access`: login, token, ssh, ssh-config, tcp. */
export function registerAccessClientCommands(access: Command): void {
  access
    .command('login')
    .description('log in to an app in the browser and cache its token under ~/.keyway')
    .argument('[url]', hostnameHelp)
    .option('--hostname <host>', `the same as URL: ${hostnameHelp}`)
    .action((url: string | undefined, flags: AppFlags) => runLogin(appOf(url, flags)))
  access
    .command('token')
    .description("print the cached token of an app, or fail with how to log in")
    .argument('[url]', hostnameHelp)
    .option('--hostname <host>', `the same as URL: ${hostnameHelp}`)
    .action((url: string | undefined, flags: AppFlags) => runToken(appOf(url, flags)))
  sessionOptions(
    access
      .command('ssh')
      .description('SSH ProxyCommand: carry stdin and stdout to an SSH app'),
  ).action((flags: SessionFlags) => runSsh(flags))
  access
    .command('ssh-config')
    .description('print the ssh_config block that reaches an SSH app through Keyway')
    .requiredOption('--hostname <host>', hostnameHelp)
    .action((flags: AppFlags) => runSshConfig(flags))
  sessionOptions(
    access
      .command('tcp')
      .description('listen locally and carry each connection to a TCP app (RDP, databases)'),
  )
    .requiredOption('--listen <address>', 'local address to listen on, such as 127.0.0.1:3389')
    .action((flags: TcpFlags) => runTcp(flags))
}

function sessionOptions(command: Command): Command {
  return command
    .requiredOption('--hostname <host>', hostnameHelp)
    .addOption(
      new Option('--service-token-id <id>', 'log in with this service token (no browser)')
        .env('KEYWAY_SERVICE_TOKEN_ID'),
    )
    .addOption(
      new Option('--service-token-secret <secret>', "the service token's secret")
        .env('KEYWAY_SERVICE_TOKEN_SECRET'),
    )
    .addHelpText(
      'after',
      '\nWithout a service token, a missing or expired login opens the browser first.\n' +
        'The token cache lives in $KEYWAY_HOME, else ~/.keyway.',
    )
}

async function runLogin(url: string): Promise<void> {
  await clientCall(async () => {
    const app = resolveAppTarget(url)
    // A browser sent to a relay nobody can reach would only wait for the login's timeout.
    await checkRelayReachable(app)
    await login(url, { ...cacheOptions(), force: true })
    process.stderr.write(`keyway: logged in to ${app.display}\n`)
  })
}

async function runToken(url: string): Promise<void> {
  await clientCall(async () => {
    process.stdout.write(`${requireToken(url, cacheOptions())}\n`)
  })
}

async function runSshConfig(flags: AppFlags): Promise<void> {
  await clientCall(async () => {
    process.stdout.write(renderSshConfig({ hostname: flags.hostname as string }))
  })
}

async function runSsh(flags: SessionFlags): Promise<void> {
  const options = connectOptions(flags)
  // OpenSSH sends its ProxyCommand SIGHUP as it exits, often while the session's end is
  // still crossing the tunnel: finish that (for a clean close in the relay's log) first.
  process.on('SIGHUP', () => {
    setTimeout(() => process.exit(ExitCode.ok), sshHangupGraceMs).unref()
  })
  try {
    await clientCall(() => sshProxy(flags.hostname as string, options))
  } finally {
    // Done or failed: stdin may still be open in the parent ssh, and must not hold us.
    process.stdin.destroy()
  }
}

async function runTcp(flags: TcpFlags): Promise<void> {
  const options = connectOptions(flags)
  const url = flags.hostname as string
  await clientCall(async () => {
    const app = resolveAppTarget(url)
    const listener = await tcpListener({
      listen: flags.listen,
      // After a denial, new connections fail at once rather than each opening a browser.
      connect: holdDenials(() => connectApp(app, options)),
      onError: (err) => process.stderr.write(`keyway: ${messageOf(err)}\n`),
    })
    const { host, port } = listener.address
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    process.stderr.write(`keyway: listening on ${where} for ${app.display}\n`)
    stopOnSignals(() => listener.close())
  })
}

/** The app from the `URL` argument or `--hostname` (one of them, not both). */
function appOf(url: string | undefined, flags: AppFlags): string {
  if (url !== undefined && flags.hostname !== undefined && url !== flags.hostname) {
    throw new CliError(CliErrorCode.usage, 'give the app as URL or as --hostname, not both')
  }
  const chosen = url ?? flags.hostname
  if (chosen === undefined) {
    throw new CliError(CliErrorCode.usage, 'name the app: keyway access login URL')
  }
  return chosen
}

function connectOptions(flags: SessionFlags): ConnectOptions {
  const serviceToken = serviceTokenOf(flags)
  return {
    ...cacheOptions(),
    ...(serviceToken === undefined ? {} : { serviceToken, interactive: false }),
  }
}

function serviceTokenOf(flags: SessionFlags): ServiceToken | undefined {
  const clientId = flags.serviceTokenId?.trim() ?? ''
  const clientSecret = flags.serviceTokenSecret?.trim() ?? ''
  if (clientId === '' && clientSecret === '') return undefined
  if (clientId === '' || clientSecret === '') {
    throw new CliError(
      CliErrorCode.usage,
      'a service token needs both --service-token-id and --service-token-secret ' +
        '(or KEYWAY_SERVICE_TOKEN_ID and KEYWAY_SERVICE_TOKEN_SECRET)',
    )
  }
  return { clientId, clientSecret }
}

function cacheOptions(): { home?: string } {
  const home = process.env['KEYWAY_HOME']
  return home === undefined || home.trim() === '' ? {} : { home }
}

/**
 * Runs a call into the client library, turning its errors into the CLI's: a `ClientError`
 * is a problem the user can act on (one line, exit 1); a `TypeError` about an option (its
 * message names it in quotes) comes from a bad flag (exit 2).
 */
async function clientCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (isClientError(err)) {
      throw new CliError(CliErrorCode.accessClient, err.message, { cause: err })
    }
    if (err instanceof TypeError && /^'\w+' /.test(err.message)) {
      throw new CliError(CliErrorCode.usage, err.message)
    }
    throw err
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function stopOnSignals(stop: () => Promise<void>): void {
  const keepAlive = setInterval(() => undefined, 1 << 30)
  const onSignal = (): void => {
    clearInterval(keepAlive)
    stop().then(
      () => process.exit(ExitCode.ok),
      () => process.exit(ExitCode.failure),
    )
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}
