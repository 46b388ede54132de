/**
 * Keyway's benchmark: each figure measured three ways in one run, direct to the origin,
 * through a baseline of two bare Node TCP forwarders in series, and through a real relay and
 * connector (the built `keyway` CLI). Prints a table and writes bench-results.json.
 *
 *   npm run bench [-- --quick] [-- --tiny] [-- --out FILE]
 *
 * KEYWAY_BENCH_PROF=DIR runs the relay and the bench connector under `node --cpu-prof`,
 * writing their .cpuprofile files into DIR (see scripts/bench/profile-summary.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs'
import * as http from 'node:http'
import * as os from 'node:os'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  bulkDownload,
  bulkUpload,
  concurrentDownloads,
  openManyWebSockets,
  sequentialLatency,
  smallRequests,
  webSocketEcho,
  type BenchPath,
} from './bench/measure.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cli = path.join(root, 'packages/cli/bin/keyway.js')
const quick = process.argv.includes('--quick')
const outIndex = process.argv.indexOf('--out')
const outFile = outIndex > 0 ? (process.argv[outIndex + 1] ?? '') : 'bench-results.json'
// `--only keyway` (or `direct,baseline`): measure some paths only, for quicker iterations.
const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex > 0 ? (process.argv[onlyIndex + 1] ?? '').split(',') : undefined
// `--figures small,sequential`: measure some figures only (download, upload, concurrent,
// small, sequential, ws, streams).
const figuresIndex = process.argv.indexOf('--figures')
const figures = figuresIndex > 0 ? (process.argv[figuresIndex + 1] ?? '').split(',') : undefined
const wanted = (figure: string): boolean => figures === undefined || figures.includes(figure)
const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024

// `--tiny` shrinks every figure to seconds in all: for the test that the script works, whose
// figures say nothing about speed.
const tiny = process.argv.includes('--tiny')

const settings = tiny
  ? { bulkBytes: 64 * MiB, concurrent: 8, concurrentBytes: 256 * 1024, loadSeconds: 1,
      sequential: 50, echoSeconds: 1, idleStreams: 300, bulkRounds: 1 }
  : quick
    ? { bulkBytes: 128 * MiB, concurrent: 64, concurrentBytes: 2 * MiB, loadSeconds: 3,
        sequential: 500, echoSeconds: 2, idleStreams: 1_000, bulkRounds: 2 }
    : { bulkBytes: GiB, concurrent: 64, concurrentBytes: 16 * MiB, loadSeconds: 10,
        sequential: 3_000, echoSeconds: 5, idleStreams: 10_000, bulkRounds: 3 }

const children: ChildProcess[] = []
const work = mkdtempSync(path.join(os.tmpdir(), 'keyway-bench-'))

const profileDir = process.env.KEYWAY_BENCH_PROF
// KEYWAY_BENCH_NODE_FLAGS="--max-semi-space-size=32": extra node flags for the relay and the
// bench connector only, to try runtime settings.
const keywayFlags = (process.env.KEYWAY_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)

/** Starts a process; `keyway` marks the relay and bench connector (profiled, flagged). */
function start(name: string, args: string[], keyway = false): ChildProcess {
  const log = openSync(path.join(work, `${name}.log`), 'a')
  const profile = keyway && profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`,
        `--cpu-prof-name=${name}.cpuprofile`]
    : []
  const flags = [...profile, ...(keyway ? keywayFlags : [])]
  const child = spawn(process.execPath, [...flags, ...args], {
    stdio: ['ignore', 'pipe', log],
    cwd: root,
  })
  children.push(child)
  return child
}

async function startReporting(name: string, script: string, args: string[] = []) {
  const child = start(name, ['--import', 'tsx', path.join(root, 'scripts/bench', script), ...args])
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = (await once(lines, 'line')) as [string]
  return { child, port: (JSON.parse(line) as { port: number }).port }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function rssMiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  return kib / 1024
}

async function status(target: BenchPath): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: target.port, path: '/small', headers: { host: target.host } },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', () => resolve(0))
  })
}

async function waitUntilServing(target: BenchPath, timeoutMs = 20_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if ((await status(target)) === 200) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`${target.host} did not answer 200 within ${timeoutMs} ms`)
}

async function tokenFor(config: string, tunnel: string): Promise<string> {
  const child = spawn(process.execPath, [cli, 'tunnel', 'token', tunnel, '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (data: Buffer) => {
    out += data.toString()
  })
  const [code] = (await once(child, 'exit')) as [number]
  if (code !== 0) throw new Error(`keyway tunnel token exited ${code}`)
  return out.trim()
}

async function startKeyway(originPort: number) {
  const [publicPort, tunnelPort] = [await freePort(), await freePort()]
  const relayConfig = path.join(work, 'relay.yaml')
  writeFileSync(
    relayConfig,
    [
      `listen: 127.0.0.1:${publicPort}`,
      `tunnelListen: 127.0.0.1:${tunnelPort}`,
      `dataDir: ${path.join(work, 'data')}`,
      'tunnels:',
      '  - name: bench',
      '    hostnames: [bench.localhost]',
      '  - name: connect',
      '    hostnames: [connect.localhost]',
      // Room for the idle streams (spread over the connector's two connections) on top of
      // the defaults of 1,000 streams per connection and 10,000 public connections.
      'limits:',
      `  maxStreamsPerConnection: ${Math.max(1_000, settings.idleStreams)}`,
      `  maxPublicConnections: ${Math.max(10_000, 2 * settings.idleStreams)}`,
      '',
    ].join('\n'),
  )
  const relay = start(
    'relay', [cli, 'relay', '--config', relayConfig, '--log-level', 'warn'], true,
  )
  const connectorConfig = (host: string) => {
    const file = path.join(work, `connector-${host}.yaml`)
    writeFileSync(
      file,
      [
        `relay: ws://127.0.0.1:${tunnelPort}`,
        'ingress:',
        `  - hostname: ${host}`,
        `    service: http://127.0.0.1:${originPort}`,
        '  - service: http_status:404',
        '',
      ].join('\n'),
    )
    return file
  }
  const runConnector = (name: string, host: string, token: string, keyway = false) => {
    const tokenFile = path.join(work, `${name}.token`)
    writeFileSync(tokenFile, token, { mode: 0o600 })
    return start(name, [
      cli, 'tunnel', 'run', '--config', connectorConfig(host), '--token-file', tokenFile,
      '--log-level', 'warn',
    ], keyway)
  }
  const through: BenchPath = { name: 'keyway', port: publicPort, host: 'bench.localhost' }
  const connectPath: BenchPath = { name: 'keyway', port: publicPort, host: 'connect.localhost' }
  // The relay must be listening before a token is asked for, so that both see one dataDir.
  await waitForStatus(through, [503, 200, 404])
  const connector = runConnector(
    'connector', 'bench.localhost', await tokenFor(relayConfig, 'bench'), true,
  )
  await waitUntilServing(through)
  const connectToken = await tokenFor(relayConfig, 'connect')
  return { relay, connector, through, connectPath, runConnector, connectToken }
}

async function waitForStatus(target: BenchPath, accepted: number[], timeoutMs = 20_000) {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (accepted.includes(await status(target))) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${target.host} on port ${target.port} did not come up`)
}

type Row = Record<string, number>

/**
 * CPU time (user and system, every thread) `processes` have used so far, in microseconds.
 * Unlike wall-clock rates it hardly moves with other load on the machine.
 */
function cpuUs(processes: readonly ChildProcess[]): number {
  let ticks = 0
  for (const child of processes) {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    // The fields after the command name (which may hold spaces); utime and stime are the
    // 14th and 15th, counted in USER_HZ ticks, 100 a second on Linux.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * 10_000
}

const retried: string[] = []

/**
 * Runs one measurement, and once more if it fails: a figure lost to a passing hiccup of a
 * loaded machine is measured again, and the report lists it under `retried`.
 */
async function again<T>(label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    process.stderr.write(`bench: ${label} failed (${String(err)}); measuring it again\n`)
    retried.push(label)
    return run()
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

/**
 * Measures figure by figure, each on every path back to back, so that load from elsewhere
 * on the machine weighs on the three columns of a figure alike. The bulk figures, which
 * swing most, are measured `bulkRounds` times round the paths and their medians kept.
 */
async function measureAll(
  paths: BenchPath[],
  hops: ReadonlyMap<string, ChildProcess[]>,
): Promise<Record<string, Row>> {
  const rows = new Map(paths.map((target) => [target.name, {} as Row]))
  const samples = new Map<string, number[]>()
  const record = (target: BenchPath, key: string, value: number): void => {
    const list = samples.get(`${target.name} ${key}`) ?? []
    list.push(value)
    samples.set(`${target.name} ${key}`, list)
    const row = rows.get(target.name) as Row
    row[key] = median(list)
  }
  const each = async (
    figure: string,
    rounds: number,
    run: (target: BenchPath, processes: ChildProcess[]) => Promise<void>,
  ): Promise<void> => {
    if (!wanted(figure)) return
    for (let round = 1; round <= rounds; round++) {
      for (const target of paths) {
        process.stderr.write(`bench: ${figure} ${target.name} (${round} of ${rounds})\n`)
        await run(target, hops.get(target.name) ?? [])
      }
    }
  }

  await each('download', settings.bulkRounds, async (target, processes) => {
    const cpuBefore = cpuUs(processes)
    const rate = await again(`${target.name} download`,
      () => bulkDownload(target, settings.bulkBytes))
    record(target, 'downloadMiBs', rate)
    if (processes.length === 0) return
    const cpuMs = (cpuUs(processes) - cpuBefore) / 1000
    record(target, 'downloadCpuMsPerGiB', cpuMs / (settings.bulkBytes / GiB))
  })
  await each('upload', settings.bulkRounds, async (target) => {
    record(target, 'uploadMiBs', await again(`${target.name} upload`,
      () => bulkUpload(target, settings.bulkBytes)))
  })
  await each('concurrent', settings.bulkRounds, async (target) => {
    record(target, 'concurrentMiBs', await again(`${target.name} concurrent`,
      () => concurrentDownloads(target, settings.concurrent, settings.concurrentBytes)))
  })
  await each('small', 1, async (target, processes) => {
    const cpuBefore = cpuUs(processes)
    const load = await smallRequests(target, 32, settings.loadSeconds)
    if (processes.length > 0) {
      record(target, 'cpuUsPerRequest', (cpuUs(processes) - cpuBefore) / load.completed)
    }
    record(target, 'requestsPerSecond', load.requestsPerSecond)
    record(target, 'loadP50Ms', load.p50Ms)
    record(target, 'loadP99Ms', load.p99Ms)
    record(target, 'loadErrors', load.errors)
  })
  await each('sequential', 1, async (target) => {
    const latency = await again(`${target.name} sequential`,
      () => sequentialLatency(target, settings.sequential))
    record(target, 'sequentialP50Us', latency.p50Us)
    record(target, 'sequentialP99Us', latency.p99Us)
  })
  await each('ws', 1, async (target) => {
    record(target, 'wsMessagesPerSecond', await again(`${target.name} ws`,
      () => webSocketEcho(target, settings.echoSeconds)))
  })
  return Object.fromEntries(rows)
}

function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits)
}

function printTable(results: Record<string, Row>, memory: Row): void {
  const names = Object.keys(results)
  const rows: Array<[string, string, number]> = [
    ['bulk download, 1 stream', 'downloadMiBs', 1],
    ['bulk upload, 1 stream', 'uploadMiBs', 1],
    [`${settings.concurrent} concurrent downloads`, 'concurrentMiBs', 1],
    ['32 conns small requests', 'requestsPerSecond', 0],
    ['  p50 latency (ms)', 'loadP50Ms', 2],
    ['  p99 latency (ms)', 'loadP99Ms', 2],
    ['sequential p50 (us)', 'sequentialP50Us', 0],
    ['sequential p99 (us)', 'sequentialP99Us', 0],
    ['WebSocket echo 1 KiB msg/s', 'wsMessagesPerSecond', 0],
    ['hops CPU ms per GiB down', 'downloadCpuMsPerGiB', 0],
    ['hops CPU us per small request', 'cpuUsPerRequest', 1],
  ]
  const header = ['figure'.padEnd(30), ...names.map((n) => n.padStart(10)), 'keyway/baseline']
  console.log(header.join(' '))
  for (const [label, key, digits] of rows) {
    const values = names.map((n) => results[n]?.[key])
    const ratio = (results.keyway?.[key] ?? NaN) / (results.baseline?.[key] ?? NaN)
    console.log(
      [label.padEnd(30), ...values.map((v) => fmt(v, digits).padStart(10)), fmt(ratio, 2)]
        .join(' '),
    )
  }
  const direct = results.direct
  const baseline = results.baseline
  const keyway = results.keyway
  if (direct && baseline && keyway) {
    const added = (row: Row) => (row.sequentialP50Us ?? NaN) - (direct.sequentialP50Us ?? NaN)
    console.log(
      `added median latency (us): baseline ${fmt(added(baseline))}, keyway ${fmt(added(keyway))}`,
    )
  }
  console.log('memory (MiB RSS) and connect time:')
  for (const [key, value] of Object.entries(memory)) {
    console.log(`  ${key.padEnd(34)} ${fmt(value, 1)}`)
  }
  printTargets(results, memory)
}

/** Issue 3's targets: each figure, its goal, and whether this run met it. */
function printTargets(results: Record<string, Row>, memory: Row): void {
  const keyway = results.keyway ?? {}
  const baseline = results.baseline ?? {}
  const directP50 = results.direct?.sequentialP50Us ?? NaN
  const ratio = (key: string) => (keyway[key] ?? NaN) / (baseline[key] ?? NaN)
  const added = (row: Row) => (row.sequentialP50Us ?? NaN) - directP50
  const targets: Array<[string, number, 'min' | 'max', number]> = [
    ['download, keyway/baseline', ratio('downloadMiBs'), 'min', 0.5],
    ['upload, keyway/baseline', ratio('uploadMiBs'), 'min', 0.5],
    [`keyway ${settings.concurrent} concurrent/1 stream`, (keyway.concurrentMiBs ?? NaN) /
      (keyway.downloadMiBs ?? NaN), 'min', 1],
    ['small requests/s, keyway/baseline', ratio('requestsPerSecond'), 'min', 0.4],
    ['added p50 latency, keyway/baseline', added(keyway) / added(baseline), 'max', 2],
    ['KiB per open stream', memory.bytesPerStreamKiB ?? NaN, 'max', 16],
    ['idle connector RSS (MiB)', memory.connectorIdleMiB ?? NaN, 'max', 80],
    ['connect time (ms)', memory.connectMs ?? NaN, 'max', 1000],
  ]
  console.log('targets:')
  for (const [label, value, kind, goal] of targets) {
    const met = kind === 'min' ? value >= goal : value <= goal
    const verdict = Number.isNaN(value) ? '-' : met ? 'met' : 'not met'
    const want = `${kind === 'min' ? '>=' : '<='} ${goal}`
    console.log(`  ${label.padEnd(36)} ${fmt(value, 2).padStart(8)} ${want.padEnd(8)} ${verdict}`)
  }
}

async function main(): Promise<void> {
  const origin = await startReporting('origin', 'origin.ts')
  const second = await startReporting('forwarder-2', 'forwarder.ts', [String(origin.port)])
  const first = await startReporting('forwarder-1', 'forwarder.ts', [String(second.port)])
  const keyway = await startKeyway(origin.port)
  const paths: BenchPath[] = [
    { name: 'direct', port: origin.port, host: 'bench.localhost' },
    { name: 'baseline', port: first.port, host: 'bench.localhost' },
    keyway.through,
  ]

  if (process.argv.includes('--hold')) {
    // For profiling by hand: report the processes and ports, run until interrupted.
    const pids = { relay: keyway.relay.pid, connector: keyway.connector.pid }
    console.log(JSON.stringify({ paths, pids, work }))
    await once(process, 'SIGINT')
    return
  }

  const memory: Row = {}
  await new Promise((resolve) => setTimeout(resolve, 500))
  memory.relayIdleMiB = rssMiB(keyway.relay)
  memory.connectorIdleMiB = rssMiB(keyway.connector)

  const connectChild = keyway.runConnector(
    'connect-connector', 'connect.localhost', keyway.connectToken,
  )
  memory.connectMs = await waitUntilServing(keyway.connectPath)
  connectChild.kill('SIGKILL')

  if (wanted('streams')) {
    // Measured before the load, from the idle figures: what the streams alone add.
    process.stderr.write(`bench: ${settings.idleStreams} idle WebSockets through keyway\n`)
    const before = memory.relayIdleMiB + memory.connectorIdleMiB
    const sockets = await openManyWebSockets(keyway.through, settings.idleStreams)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    memory.relayWithStreamsMiB = rssMiB(keyway.relay)
    memory.connectorWithStreamsMiB = rssMiB(keyway.connector)
    const after = memory.relayWithStreamsMiB + memory.connectorWithStreamsMiB
    memory.bytesPerStreamKiB = ((after - before) * 1024) / settings.idleStreams
    for (const ws of sockets) ws.terminate()
    // The relay, connector and origin tear 10,000 connections down: not during a figure.
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }

  // The processes each path adds, whose CPU time is counted per request and per GiB.
  const hops = new Map([
    ['baseline', [first.child, second.child]],
    ['keyway', [keyway.relay, keyway.connector]],
  ])
  const results = await measureAll(
    paths.filter((target) => only === undefined || only.includes(target.name)),
    hops,
  )

  printTable(results, memory)
  const report = {
    date: new Date().toISOString(),
    quick,
    tiny,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    settings,
    retried,
    results,
    memory,
  }
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`results written to ${outFile}`)
}

/** Profiled processes write their profile on exit: two SIGTERMs end them without draining. */
async function stopProfiled(): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null)
  for (const child of running) child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const child of running) child.kill('SIGTERM')
  await Promise.race([
    Promise.all(running.map((child) => child.exitCode === null ? once(child, 'exit') : null)),
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ])
}

async function cleanUp(): Promise<void> {
  if (profileDir) await stopProfiled()
  for (const child of children) child.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}

main().then(
  async () => {
    await cleanUp()
    process.exit(0)
  },
  (err: unknown) => {
    console.error(err)
    console.error(`logs kept in ${work}`)
    for (const child of children) child.kill('SIGKILL')
    process.exit(1)
  },
)
