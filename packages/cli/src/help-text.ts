import type { Command } from 'commander'

/**
 * Every runnable command under `root`, one per line with its arguments, required options
 * and description, for the top-level `--help`: commander itself lists only the first level.
 */
export function commandOverview(root: Command): string {
  const rows = leafCommands(root).map((command) => [usageOf(command), command.description()])
  const width = Math.min(56, Math.max(...rows.map(([usage]) => (usage ?? '').length)))
  const lines = rows.map(([usage = '', description = '']) =>
    usage.length > width
      ? `  ${usage}\n  ${' '.repeat(width)}  ${description}`
      : `  ${usage.padEnd(width)}  ${description}`,
  )
  return `\nAll commands:\n${lines.join('\n')}\n\nRun "keyway <command> --help" for its flags.`
}

function leafCommands(command: Command): Command[] {
  const children = command.commands.filter((child) => child.name() !== 'help')
  if (children.length === 0) return [command]
  return children.flatMap(leafCommands)
}

function usageOf(command: Command): string {
  const names: string[] = []
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name())
  const args = command.registeredArguments.map((arg) =>
    arg.required ? `<${arg.name()}>` : `[${arg.name()}]`,
  )
  const required = command.options
    .filter((option) => option.mandatory && option.long !== undefined)
    .map((option) => `${option.long} ${/<[^>]+>/.exec(option.flags)?.[0] ?? ''}`.trim())
  return [...names, ...args, ...required].join(' ')
}
