import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const paths = ['direct', 'baseline', 'keyway'] as const
const rowFigures = [
  'downloadMiBs',
  'uploadMiBs',
  'concurrentMiBs',
  'requestsPerSecond',
  'loadP50Ms',
  'loadP99Ms',
  'sequentialP50Us',
  'sequentialP99Us',
  'wsMessagesPerSecond',
] as const
const memoryFigures = [
  'relayIdleMiB',
  'connectorIdleMiB',
  'connectMs',
  'relayWithStreamsMiB',
  'connectorWithStreamsMiB',
  'bytesPerStreamKiB',
] as const

interface Report {
  quick: boolean
  machine: { cores: number; node: string }
  results: Record<string, Record<string, number>>
  memory: Record<string, number>
}

let work: string
let report: Report
let stdout = ''

// The run's figures say nothing about speed here: the machine is shared and the sizes are
// tiny. Only that each one was measured is checked.
beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'keyway-bench-test-'))
  const out = path.join(work, 'bench-results.json')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench.ts', '--quick', '--tiny', '--out', out],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString()
  })
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString()
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`bench exited ${code}:\n${stdout}\n${stderr}`)
  report = JSON.parse(readFileSync(out, 'utf8')) as Report
}, 120_000)

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('npm run bench --quick --tiny', () => {
  it('records the machine it ran on', () => {
    expect(report.quick).toBe(true)
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.machine.node).toBe(process.version)
  })

  it.each(paths)('measures every figure through %s as a positive number', (name) => {
    const row = report.results[name]
    expect(row).toBeDefined()
    for (const figure of rowFigures) {
      expect(row?.[figure], figure).toBeGreaterThan(0)
    }
  })

  it.each(['baseline', 'keyway'])('counts the CPU time of the hops of %s', (name) => {
    expect(report.results[name]?.downloadCpuMsPerGiB).toBeGreaterThan(0)
    expect(report.results[name]?.cpuUsPerRequest).toBeGreaterThan(0)
  })

  it.each(paths)('sees no failed small request through %s', (name) => {
    expect(report.results[name]?.loadErrors).toBe(0)
  })

  it('measures the memory and the connect time as positive numbers', () => {
    for (const figure of memoryFigures) {
      expect(report.memory[figure], figure).toBeGreaterThan(0)
    }
  })

  it('prints the three columns and the ratios to the baseline', () => {
    const header = stdout.split('\n').find((line) => line.startsWith('figure'))
    expect(header?.split(/\s+/)).toEqual(['figure', ...paths, 'keyway/baseline'])
    expect(stdout).toMatch(/^bulk download, 1 stream(\s+\d+\.\d+){3} \d+\.\d\d$/m)
    expect(stdout).toMatch(/added median latency \(us\): baseline -?\d+, keyway -?\d+/)
  })
})
