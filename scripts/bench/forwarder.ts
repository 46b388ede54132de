/**
 * The baseline hop: a bare TCP forwarder, each accepted socket piped to a new connection to
 * the target and back, nothing else. Two of these in series are the least that two Node
 * processes in the path can cost. Usage: forwarder.ts TARGET_PORT; prints `{"port":N}`.
 */
import * as net from 'node:net'

const target = Number(process.argv[2])
const server = net.createServer((client) => {
  client.setNoDelay(true)
  const upstream = net.connect({ host: '127.0.0.1', port: target })
  upstream.setNoDelay(true)
  client.pipe(upstream).pipe(client)
  const close = (): void => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', close)
  upstream.on('error', close)
  client.on('close', close)
  upstream.on('close', close)
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo
  process.stdout.write(`${JSON.stringify({ port })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
