import { spawn } from 'node:child_process'
import { once } from 'node:events'
import * as net from 'node:net'

/**
 * A loopback port whose listener never accepts and whose accept queue is already full, so
 * a new connection attempt hangs in SYN-SENT: the way to provoke a connect timeout on a
 * machine where every outside address answers. Node always accepts, so the listener is a
 * tiny Python process with `listen(0)`.
 */
export async function fullBacklogPort(): Promise<{ port: number; close: () => void }> {
  const script = [
    'import socket, sys',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    's.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n')
  const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  const port = Number(chunk.toString().trim())
  // This connection takes the only place in the queue.
  const filler = net.connect({ host: '127.0.0.1', port })
  await once(filler, 'connect')
  return {
    port,
    close: () => {
      filler.destroy()
      child.kill()
    },
  }
}
