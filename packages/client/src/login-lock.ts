import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ClientError, ClientErrorCode } from './errors.js'
import type { TokenCache } from './token-cache.js'
import type { AppTarget } from './app-url.js'

/** Options of {@link withLoginLock}. */
export interface LoginLockOptions {
  /** How often a waiting caller looks at the lock again. Default 100 ms. */
  readonly pollMs?: number
  /** A lock older than this is taken over even if its process lives. Default 6 minutes. */
  readonly staleMs?: number
  /** How long a caller waits for another login before giving up. Default 6 minutes. */
  readonly waitTimeoutMs?: number
  readonly signal?: AbortSignal
}

/** What a lock file holds. */
interface LockRecord {
  pid: number
  startedAtMs: number
}

/** A lock file written moments ago may still be empty: give its writer this long. */
const FRESH_LOCK_MS = 5_000

/**
 * Runs `login` while holding the app's lock file, so that concurrent commands share one
 * browser login. A caller that finds the lock held waits until it is released, then calls
 * `shared()`; when that returns a value (the other login stored a token) it is returned
 * without logging in again. A lock whose process is gone, or that is older than `staleMs`,
 * is taken over.
 */
export async function withLoginLock<T>(
  cache: TokenCache,
  app: AppTarget,
  options: LoginLockOptions,
  shared: () => T | undefined,
  login: () => Promise<T>,
): Promise<T> {
  const pollMs = options.pollMs ?? 100
  const staleMs = options.staleMs ?? 6 * 60_000
  const waitTimeoutMs = options.waitTimeoutMs ?? 6 * 60_000
  const path = cache.lockPath(app)
  const deadline = Date.now() + waitTimeoutMs
  let waited = false
  cache.ensureFolder(dirname(path))

  for (;;) {
    if (waited) {
      const result = shared()
      if (result !== undefined) return result
    }
    const record = tryAcquire(path)
    if (record !== undefined) {
      try {
        return await login()
      } finally {
        release(path, record)
      }
    }
    if (isStale(path, staleMs)) {
      removeStaleLock(path)
      continue
    }
    if (Date.now() >= deadline) {
      const message =
        `another login for ${app.display} has held "${path}" for over ${waitTimeoutMs} ms; ` +
        'finish or cancel it, or delete that file'
      throw new ClientError(ClientErrorCode.lockTimeout, message)
    }
    options.signal?.throwIfAborted()
    await sleep(pollMs, undefined, options.signal === undefined ? {} : { signal: options.signal })
    waited = true
  }
}

function tryAcquire(path: string): LockRecord | undefined {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw new ClientError(ClientErrorCode.tokenCache, `cannot create the lock "${path}"`, {
      cause: err,
    })
  }
  const record: LockRecord = { pid: process.pid, startedAtMs: Date.now() }
  try {
    writeSync(fd, JSON.stringify(record))
  } finally {
    closeSync(fd)
  }
  return record
}

/** Removes a stale lock; what is in the way and cannot be removed is a one-line error. */
function removeStaleLock(path: string): void {
  try {
    rmSync(path, { force: true })
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new ClientError(ClientErrorCode.tokenCache, `cannot remove the stale login lock ` +
      `"${path}" (${reason}); delete it, or set KEYWAY_HOME to a folder you own`, { cause: err })
  }
}

function release(path: string, record: LockRecord): void {
  // Remove only our own lock: a stale-lock takeover may have replaced it meanwhile.
  const current = readRecord(path)
  if (current?.pid === record.pid && current.startedAtMs === record.startedAtMs) {
    rmSync(path, { force: true })
  }
}

function isStale(path: string, staleMs: number): boolean {
  const record = readRecord(path)
  if (record === undefined) {
    try {
      return Date.now() - statSync(path).mtimeMs > FRESH_LOCK_MS
    } catch {
      return false
    }
  }
  if (Date.now() - record.startedAtMs > staleMs) return true
  return !isProcessAlive(record.pid)
}

function readRecord(path: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockRecord>
    if (typeof parsed.pid !== 'number' || typeof parsed.startedAtMs !== 'number') return undefined
    return { pid: parsed.pid, startedAtMs: parsed.startedAtMs }
  } catch {
    return undefined
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
