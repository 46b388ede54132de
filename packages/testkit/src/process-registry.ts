/**
 * Everything the test kit starts that outlives a function call (child processes, browsers)
 * is registered here, so that one `afterEach(stopAll)` ends it all, and a test process that
 * exits anyway takes its children with it.
 */

/** Something that can be stopped gracefully, and killed synchronously at process exit. */
export interface Stoppable {
  readonly name: string
  /** Stops gracefully, escalating as needed; never rejects for an already stopped resource. */
  stop(): Promise<unknown>
  /** Kills at once and synchronously; called from the process 'exit' handler. */
  killNow(): void
}

const live = new Set<Stoppable>()
let exitHookInstalled = false

function killAllNow(): void {
  for (const resource of live) {
    try {
      resource.killNow()
    } catch {
      // Exit cleanup is best effort: one failure must not keep the others alive.
    }
  }
  live.clear()
}

/** Registers a resource for {@link stopAll}; returns the function that unregisters it. */
export function registerStoppable(resource: Stoppable): () => void {
  if (!exitHookInstalled) {
    process.on('exit', killAllNow)
    exitHookInstalled = true
  }
  live.add(resource)
  return () => {
    live.delete(resource)
  }
}

/** Names of the resources that are still registered, for leak checks in tests. */
export function liveResources(): string[] {
  return [...live].map((resource) => resource.name)
}

/**
 * Stops every registered process and browser, all at once, and waits until they are gone.
 * Meant for `afterEach(stopAll)` or `afterAll(stopAll)`. Failures to stop are collected and
 * thrown together after every resource was tried.
 */
export async function stopAll(): Promise<void> {
  const resources = [...live]
  live.clear()
  const results = await Promise.allSettled(resources.map((resource) => resource.stop()))
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${resources[index]?.name}: ${String(result.reason)}`] : [],
  )
  if (failures.length > 0) {
    throw new AggregateError(
      results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : [])),
      `stopAll could not stop: ${failures.join('; ')}`,
    )
  }
}
