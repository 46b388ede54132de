#!/usr/bin/env node
// The `keyway` executable: runs the compiled command line in ../dist.
try {
  await import('../dist/main.js')
} catch (err) {
  const missingBuild = /Cannot find module '[^']*[\\/]dist[\\/]main\.js'/
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !missingBuild.test(String(err.message))) throw err
  process.stderr.write('error: keyway is not built; run "npx tsc -b" in the repository root\n')
  process.exitCode = 1
}
