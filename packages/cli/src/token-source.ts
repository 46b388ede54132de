import { readFileSync, statSync } from 'node:fs'

import { CliError, CliErrorCode } from './errors.js'

/** Where `keyway tunnel run` may find its token, in order of preference. */
export interface TokenSources {
  /** `--token-file FILE`: the preferred way, it keeps the token out of `ps`. */
  readonly tokenFile?: string
  /** `--token TOKEN`. */
  readonly token?: string
  /** The `KEYWAY_TUNNEL_TOKEN` environment variable. */
  readonly envToken?: string
}

/** A token file larger than this is not a token file. */
const maxTokenFileBytes = 4096

const howToGetOne =
  'print one on the relay host with "keyway tunnel token NAME --config relay.yaml"'

/**
 * Picks the tunnel token: `--token-file`, else `--token`, else `KEYWAY_TUNNEL_TOKEN`. A
 * file's trailing newline and surrounding blanks are removed.
 *
 * @throws CliError naming the source (never the token) when none is given, the file cannot
 *   be read, or the value cannot be a token.
 */
export function resolveTunnelToken(sources: TokenSources): string {
  if (sources.tokenFile !== undefined) {
    return checkToken(readTokenFile(sources.tokenFile), `the token file ${sources.tokenFile}`)
  }
  if (sources.token !== undefined) return checkToken(sources.token, '"--token"')
  if (sources.envToken !== undefined && sources.envToken !== '') {
    return checkToken(sources.envToken, 'the KEYWAY_TUNNEL_TOKEN environment variable')
  }
  throw new CliError(
    CliErrorCode.tokenMissing,
    'no tunnel token given: pass "--token-file FILE" (preferred), "--token TOKEN" or set ' +
      `KEYWAY_TUNNEL_TOKEN; ${howToGetOne}`,
  )
}

function readTokenFile(file: string): string {
  try {
    const size = statSync(file).size
    if (size > maxTokenFileBytes) {
      throw new CliError(
        CliErrorCode.tokenMalformed,
        `the token file ${file} is ${size} bytes, over the ${maxTokenFileBytes} a token ` +
          `file may have; write only the token in it (${howToGetOne})`,
      )
    }
    return readFileSync(file, 'utf8')
  } catch (err) {
    if (err instanceof CliError) throw err
    const reason = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new CliError(
      CliErrorCode.tokenUnreadable,
      `cannot read the token file ${file} (${reason}); check the path and its permissions`,
      { cause: err },
    )
  }
}

function checkToken(raw: string, source: string): string {
  const token = raw.trim()
  if (token === '') {
    throw new CliError(CliErrorCode.tokenMissing, `${source} is empty; ${howToGetOne}`)
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError(
      CliErrorCode.tokenMalformed,
      `${source} holds spaces or control characters, so it is not a tunnel token; ` +
        `${howToGetOne}`,
    )
  }
  return token
}
