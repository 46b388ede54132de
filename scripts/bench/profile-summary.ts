/**
 * Sums the self time of each function in a V8 .cpuprofile (from `node --cpu-prof`, as the
 * bench writes with KEYWAY_BENCH_PROF=DIR) and prints the heaviest ones.
 *
 *   node --import tsx scripts/bench/profile-summary.ts FILE.cpuprofile [TOP]
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

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new TypeError('usage: profile-summary.ts FILE.cpuprofile [TOP]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topArg ?? 40)

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<string, number>()
let totalUs = 0
profile.samples.forEach((id, index) => {
  const node = byId.get(id)
  const delta = profile.timeDeltas[index] ?? 0
  if (node === undefined) return
  const { functionName, url, lineNumber } = node.callFrame
  const where = url === '' ? '' : ` ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '')}:${lineNumber + 1}`
  const key = `${functionName || '(anonymous)'}${where}`
  selfUs.set(key, (selfUs.get(key) ?? 0) + delta)
  totalUs += delta
})

const idleUs = [...selfUs].filter(([key]) => key.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0)
console.log(`total ${(totalUs / 1e6).toFixed(2)} s, busy ${((totalUs - idleUs) / 1e6).toFixed(2)} s`)
const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top)
for (const [key, us] of rows) {
  const share = ((100 * us) / (totalUs - idleUs)).toFixed(1)
  console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${share.padStart(5)}%  ${key}`)
}
