import { InvalidArgumentError, type Command } from 'commander'
import { pino } from 'pino'

import {
  startConnectorComponent,
  startOriginComponent,
  startRelayComponent,
  type DemoComponent,
} from '../demo/components.js'
import { demoBanner } from '../demo/banner.js'
import { createDemoWorkspace } from '../demo/workspace.js'
import { logLevelOption, type LogLevel } from '../options.js'
import { exitOnSignals } from '../shutdown.js'

/** Flags of `keyway demo`. */
export interface DemoOptions {
  readonly port: number
  readonly keep: boolean
  readonly logLevel: LogLevel
}

/** The relay's public port when free; the demo takes another one when it is not. */
export const defaultDemoPort = 8080

/**
 * `keyway demo`: a relay with an access gate, a local OpenID provider with a demo user, a
 * connector and a demo origin in this process on loopback, with their configs written to a
 * temporary folder. The origin is reached as a public app and as a protected one. One
 * function starts each component; they stop in reverse order on SIGINT or SIGTERM, and the
 * folder is removed.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const workspace = createDemoWorkspace({ keep: options.keep })
  const logger = pino({ name: 'keyway-demo', level: options.logLevel })
  const started: DemoComponent[] = []
  const stopEverything = async (): Promise<void> => {
    for (const component of started.splice(0).reverse()) {
      await component.stop().catch((err: unknown) => {
        logger.error({ err, component: component.name }, 'demo component failed to stop')
      })
    }
    await workspace.remove()
    const kept = options.keep ? `; kept ${workspace.dir}` : `; removed ${workspace.dir}`
    process.stdout.write(`keyway demo stopped${kept}\n`)
  }
  const release = exitOnSignals({
    logger,
    component: 'demo',
    drain: stopEverything,
    onForcedExit: () => workspace.removeNow(),
  })

  try {
    const origin = await startOriginComponent()
    started.push(origin)
    const relay = await startRelayComponent(workspace, {
      publicPort: options.port,
      logLevel: options.logLevel,
    })
    started.push(relay)
    started.push(
      await startConnectorComponent(workspace, relay, {
        originUrl: origin.url,
        logLevel: options.logLevel,
      }),
    )
    process.stdout.write(demoBanner({ workspace, relay, origin, keep: options.keep }))
  } catch (err) {
    await stopEverything()
    release()
    throw err
  }
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError('expected a TCP port from 0 to 65535 (0: any free port)')
  }
  return port
}

/** Adds `keyway demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run relay, connector, a demo app and an OpenID provider locally')
    .option(
      '--port <port>',
      `the relay's public port; a free one when it is taken`,
      parsePort,
      defaultDemoPort,
    )
    .option('--keep', 'keep the temporary folder with the generated configs on exit', false)
    .addOption(logLevelOption('warn'))
    .action((options: DemoOptions) => runDemo(options))
}
