import { CommanderError } from 'commander'

import { ExitCode } from './errors.js'
import { createProgram } from './program.js'
import { reportError } from './report-error.js'

/**
 * Runs the `keyway` command line. Short commands resolve once done; long-running ones
 * (`relay`, `tunnel run`, `demo`) resolve once started and later exit on a signal.
 * A failure prints one clean message to stderr and sets the exit code: 1 for a problem the
 * user can fix, 2 for a wrong command line.
 */
export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  // `keyway --help | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(process.exitCode ?? ExitCode.ok)
  })
  const program = createProgram()
  try {
    await program.parseAsync([...argv])
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message or the help text.
      process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage
      return
    }
    const report = reportError(err)
    process.stderr.write(`${report.text}\n`)
    process.exitCode = report.exitCode
  }
}
