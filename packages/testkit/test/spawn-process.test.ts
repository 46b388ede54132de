import { afterEach, describe, expect, it } from 'vitest'

import {
  TestkitErrorCode,
  liveResources,
  spawnProcess,
  stopAll,
} from '../src/index.js'

const node = process.execPath

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntilDead(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 50; tries++) {
    if (!isAlive(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

afterEach(stopAll)

describe('spawnProcess', () => {
  describe('#waitForLine', () => {
    it('resolves with a line printed before and after the wait began', async () => {
      const child = spawnProcess(node, [
        '-e',
        "console.log('first line'); setTimeout(() => console.error('later 42'), 200); " +
          'setTimeout(() => {}, 5000)',
      ])
      expect(await child.waitForLine(/first/)).toBe('first line')
      expect(await child.waitForLine((line) => line.startsWith('later'))).toBe('later 42')
      expect(child.lines('stderr').map((line) => line.text)).toEqual(['later 42'])
    })

    it('rejects with the output tail when the process exits without the line', async () => {
      const child = spawnProcess(node, ['-e', "console.log('about to fail'); process.exit(3)"], {
        name: 'failing',
      })
      const error = await child.waitForLine(/never/).catch((err: unknown) => err)
      expect(error).toMatchObject({ code: TestkitErrorCode.processExited })
      expect(String((error as Error).message)).toContain('exited with code 3')
      expect(String((error as Error).message)).toContain('stdout| about to fail')
    })

    it('rejects with a timeout error naming the process', async () => {
      const child = spawnProcess(node, ['-e', 'setTimeout(() => {}, 10000)'], { name: 'idle' })
      const error = await child.waitForLine(/never/, { timeoutMs: 300 }).catch((err) => err)
      expect(error).toMatchObject({ code: TestkitErrorCode.timeout })
      expect(String(error.message)).toContain("'idle'")
    })

    it('only considers lines from `since` on', async () => {
      const child = spawnProcess(node, [
        '-e',
        "console.log('ready'); setTimeout(() => console.log('ready again'), 300); " +
          'setTimeout(() => {}, 5000)',
      ])
      await child.waitForLine(/^ready$/)
      const since = child.log.nextSeq
      expect(await child.waitForLine(/ready/, { since })).toBe('ready again')
    })

    it('fails clearly when the executable does not exist', async () => {
      const child = spawnProcess('/nonexistent/tool', [])
      const error = await child.waitForLine(/x/).catch((err: unknown) => err)
      expect(String((error as Error).message)).toContain('could not be started')
    })

    it('cuts overlong lines and keeps a bounded number of lines', async () => {
      const child = spawnProcess(
        node,
        ['-e', "for (let i = 0; i < 50; i++) console.log(String(i).padEnd(200, 'x'))"],
        { maxLines: 10, maxLineChars: 20 },
      )
      await child.waitForExit()
      await child.waitForLine(/^49/)
      const kept = child.lines()
      expect(kept).toHaveLength(10)
      expect(kept[0]?.seq).toBe(40)
      expect(kept[0]?.text).toBe('40xxxxxxxxxxxxxxxxxx [line truncated]')
    })
  })

  describe('#waitForJsonLine', () => {
    it('parses pino-style lines and skips the rest', async () => {
      const child = spawnProcess(node, [
        '-e',
        "console.log('plain text'); console.log('{broken');" +
          "console.log(JSON.stringify({ level: 30, msg: 'tunnel connected', connIndex: 1 }))",
      ])
      const entry = await child.waitForJsonLine((line) => line['msg'] === 'tunnel connected')
      expect(entry).toEqual({ level: 30, msg: 'tunnel connected', connIndex: 1 })
    })
  })

  describe('#stop', () => {
    it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
      const child = spawnProcess(node, [
        '-e',
        "process.on('SIGTERM', () => console.log('ignored')); console.log('up');" +
          'setInterval(() => {}, 1000)',
      ])
      await child.waitForLine(/up/)
      const info = await child.stop('SIGTERM', 500)
      expect(info.signal).toBe('SIGKILL')
      expect(child.output()).toContain('ignored')
    })

    it('ends the processes the child started', async () => {
      const child = spawnProcess('/bin/sh', ['-c', 'sleep 30 & echo "grandchild $!"; wait'])
      const line = await child.waitForLine(/^grandchild \d+$/)
      const grandchild = Number(line.split(' ')[1])
      expect(isAlive(grandchild)).toBe(true)
      await child.stop()
      expect(await waitUntilDead(grandchild)).toBe(true)
    })
  })

  describe('stopAll', () => {
    it('stops every running process and leaves none registered', async () => {
      const children = [1, 2, 3].map((n) =>
        spawnProcess(node, ['-e', `console.log('child ${n}'); setInterval(() => {}, 1000)`]),
      )
      await Promise.all(children.map((child) => child.waitForLine(/child/)))
      const pids = children.map((child) => child.pid as number)
      await stopAll()
      expect(liveResources()).toEqual([])
      expect(children.map((child) => child.running)).toEqual([false, false, false])
      for (const pid of pids) expect(await waitUntilDead(pid)).toBe(true)
    })
  })

  it('passes env additions and removals to the child', async () => {
    process.env['KEYWAY_TESTKIT_REMOVE_ME'] = 'present'
    const child = spawnProcess(
      node,
      ['-e', 'console.log(`${process.env.ADDED}|${process.env.KEYWAY_TESTKIT_REMOVE_ME}`)'],
      { env: { ADDED: 'yes', KEYWAY_TESTKIT_REMOVE_ME: undefined } },
    )
    delete process.env['KEYWAY_TESTKIT_REMOVE_ME']
    expect(await child.waitForLine(/\|/)).toBe('yes|undefined')
  })
})
