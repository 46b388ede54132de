import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A scratch directory; {@link TempDir.remove} deletes it with everything inside. */
export interface TempDir {
  readonly path: string
  /** Deletes the directory; safe to call more than once. */
  remove(): Promise<void>
}

const pending = new Set<string>()
let exitHookInstalled = false

function removeAllNow(): void {
  for (const path of pending) rmSync(path, { recursive: true, force: true })
  pending.clear()
}

/**
 * Creates a fresh directory under the system temp dir. It is removed by `remove()`, and at the
 * latest when the test process exits. Set `KEYWAY_TEST_KEEP_TMP=1` to keep it for debugging.
 */
export function tempDir(prefix = 'keyway-test-'): TempDir {
  if (prefix.includes('/')) throw new TypeError(`'prefix' must not contain '/', got '${prefix}'`)
  const path = mkdtempSync(join(tmpdir(), prefix))
  const keep = process.env['KEYWAY_TEST_KEEP_TMP'] === '1'
  if (!keep) {
    pending.add(path)
    if (!exitHookInstalled) {
      process.on('exit', removeAllNow)
      exitHookInstalled = true
    }
  }
  const remove = async (): Promise<void> => {
    if (keep || !pending.delete(path)) return
    await rm(path, { recursive: true, force: true })
  }
  return { path, remove }
}
