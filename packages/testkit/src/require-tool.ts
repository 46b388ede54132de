import { accessSync, constants } from 'node:fs'

import { TestkitError, TestkitErrorCode } from './errors.js'

/**
 * Checks that an executable from a Debian package is installed, and throws a
 * `ERR_MISSING_TOOL` error naming the package and the install script otherwise. Tests call it
 * (through the harnesses) so that a machine without the peer fails loudly instead of skipping.
 */
export function requireTool(path: string, debianPackage: string): void {
  try {
    accessSync(path, constants.X_OK)
  } catch (err) {
    throw new TestkitError(
      TestkitErrorCode.missingTool,
      `'${path}' is missing: install the Debian package '${debianPackage}' ` +
        '(run `bash scripts/install-test-deps.sh` as root)',
      { cause: err },
    )
  }
}
