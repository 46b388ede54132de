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
  const fail = (): void => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', fail)
  upstream.on('error', fail)
  // One side closing cleanly ends the other once what is queued for it is written:
  // destroying it at once cut the end off answers still queued under backpressure.
  client.on('close', () => upstream.end())
  upstream.on('close', () => client.end())
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo
  process.stdout.write(`${JSON.stringify({ port })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
