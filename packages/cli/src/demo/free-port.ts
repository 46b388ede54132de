import { createServer } from 'node:net'

/** A TCP port free on 127.0.0.1 right now (the system picks it; it may be taken later). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port === 0 ? reject(new Error('no port assigned')) : resolve(port)))
    })
  })
}

/** True when nothing listens on 127.0.0.1:`port` (it listens there for a moment to see). */
export function isLoopbackPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (err) => (isAddressInUse(err) ? resolve(false) : reject(err)))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** True when `err` (or its cause) says an address is already in use. */
export function isAddressInUse(err: unknown): boolean {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; depth++) {
    if ((at as NodeJS.ErrnoException).code === 'EADDRINUSE') return true
    at = at.cause
  }
  return false
}
