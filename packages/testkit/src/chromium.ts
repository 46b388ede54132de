import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright-core'

import { registerStoppable } from './process-registry.js'
import { requireTool } from './require-tool.js'

/** Debian's Chromium; the test kit never downloads a browser. */
export const chromiumPath = '/usr/bin/chromium'

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /** Made-up domains (such as `*.tunnel.test`) sent to 127.0.0.1. `*.localhost` always is. */
  readonly loopbackDomains?: readonly string[]
  /** More command-line flags. */
  readonly args?: readonly string[]
  /** Default true. */
  readonly headless?: boolean
  /** Passed to playwright's `chromium.launch`. */
  readonly launchOptions?: Omit<LaunchOptions, 'executablePath' | 'args' | 'headless'>
}

/**
 * Launches Debian's headless Chromium through playwright-core, registered for `stopAll`.
 * Fails with `ERR_MISSING_TOOL` when the `chromium` package is not installed.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  requireTool(chromiumPath, 'chromium')
  const domains = options.loopbackDomains ?? ['*.tunnel.test', '*.example.test']
  const rules = [...domains.map((domain) => `MAP ${domain} 127.0.0.1`), 'EXCLUDE localhost']
  const browser = await chromium.launch({
    ...options.launchOptions,
    executablePath: chromiumPath,
    headless: options.headless ?? true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      `--host-resolver-rules=${rules.join(', ')}`,
      ...(options.args ?? []),
    ],
  })
  const unregister = registerStoppable({
    name: 'chromium',
    stop: () => browser.close(),
    // playwright kills the browsers it launched when this process exits.
    killNow: () => undefined,
  })
  browser.once('disconnected', unregister)
  return browser
}

/**
 * Saves a full-page PNG of `page` as `test-artifacts/NAME.png` at the repository root (the
 * folder is created) and returns its path. The name is reduced to safe file-name characters.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const safeName = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'screenshot'
  const folder = join(repositoryRoot(), 'test-artifacts')
  mkdirSync(folder, { recursive: true })
  const path = join(folder, safeName.endsWith('.png') ? safeName : `${safeName}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** The folder of the workspace root `package.json` (the one with `workspaces`). */
export function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(folder, 'package.json')
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }
      if (parsed.workspaces !== undefined) return folder
    }
    const parent = dirname(folder)
    if (parent === folder) return process.cwd()
    folder = parent
  }
}
