/**
 * Sums the time of each function in a V8 .cpuprofile (from `node --cpu-prof`, as the bench
 * writes with KEYWAY_BENCH_PROF=DIR) and prints the heaviest ones: self time, or with
 * `--inclusive` the time spent in a function and everything it called.
 *
 *   node --import tsx scripts/bench/profile-summary.ts FILE.cpuprofile [TOP] [--inclusive]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const args = process.argv.slice(2)
const inclusive = args.includes('--inclusive')
const [file, topArg] = args.filter((arg) => !arg.startsWith('--'))
if (file === undefined) {
  throw new TypeError('usage: profile-summary.ts FILE.cpuprofile [TOP] [--inclusive]')
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topArg ?? 40)

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parentOf = new Map<number, number>()
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parentOf.set(child, node.id)
}

function keyOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '')
  return `${functionName || '(anonymous)'}${url === '' ? '' : ` ${short}:${lineNumber + 1}`}`
}

const timeUs = new Map<string, number>()
let totalUs = 0
let idleUs = 0
profile.samples.forEach((id, index) => {
  const node = byId.get(id)
  const delta = profile.timeDeltas[index] ?? 0
  if (node === undefined) return
  totalUs += delta
  if (node.callFrame.functionName === '(idle)') idleUs += delta
  // A function on the stack twice (recursion) counts once for the sample.
  const keys = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)
    if (frame !== undefined) keys.add(keyOf(frame))
    if (!inclusive) break
  }
  for (const key of keys) timeUs.set(key, (timeUs.get(key) ?? 0) + delta)
})

const busyUs = totalUs - idleUs
console.log(`total ${(totalUs / 1e6).toFixed(2)} s, busy ${(busyUs / 1e6).toFixed(2)} s`)
const rows = [...timeUs]
  .filter(([key]) => !['(root)', '(idle)'].includes(key))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
for (const [key, us] of rows) {
  const share = ((100 * us) / busyUs).toFixed(1)
  console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${share.padStart(5)}%  ${key}`)
}
