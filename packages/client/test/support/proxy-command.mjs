// The SSH ProxyCommand used by the OpenSSH tests: what `keyway access ssh --hostname URL`
// does, minus the command line. KEYWAY_HOME holds the token cache; with
// KEYWAY_SERVICE_TOKEN_ID and KEYWAY_SERVICE_TOKEN_SECRET a service token is used instead.
import { sshProxy } from '@keyway/client'

const url = process.argv[2]
const id = process.env.KEYWAY_SERVICE_TOKEN_ID
const secret = process.env.KEYWAY_SERVICE_TOKEN_SECRET
try {
  await sshProxy(url, {
    home: process.env.KEYWAY_HOME,
    interactive: false,
    ...(id && secret ? { serviceToken: { clientId: id, clientSecret: secret } } : {}),
  })
} catch (err) {
  process.stderr.write(`keyway: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
