import { StringDecoder } from 'node:string_decoder'
import type { Readable } from 'node:stream'

/** Which output of a process a line came from. */
export type LineStream = 'stdout' | 'stderr'

/** One captured output line; `seq` counts every line ever seen, kept or dropped. */
export interface LogLine {
  readonly seq: number
  readonly stream: LineStream
  readonly text: string
}

/** Bounds of a {@link LineLog}. */
export interface LineLogLimits {
  /** Lines kept; older ones are dropped first. */
  readonly maxLines: number
  /** Longer lines are cut to this many characters. */
  readonly maxLineChars: number
}

const truncatedMark = ' [line truncated]'

/**
 * The captured output of a process: a bounded ring of lines from stdout and stderr in arrival
 * order, with listeners for new lines.
 */
export class LineLog {
  readonly #limits: LineLogLimits
  readonly #lines: LogLine[] = []
  readonly #listeners = new Set<(line: LogLine) => void>()
  #nextSeq = 0

  constructor(limits: LineLogLimits) {
    this.#limits = limits
  }

  /** The sequence number the next line will get; pass it as `since` to wait for new lines. */
  get nextSeq(): number {
    return this.#nextSeq
  }

  /** The kept lines, oldest first. */
  get lines(): readonly LogLine[] {
    return this.#lines
  }

  /** Splits a readable stream into lines and records them until it ends. */
  follow(stream: LineStream, readable: Readable): void {
    const decoder = new StringDecoder('utf8')
    let partial = ''
    let skippingRest = false
    const take = (chunk: string): void => {
      let text = partial + chunk
      let newline = text.indexOf('\n')
      while (newline !== -1) {
        if (!skippingRest) this.push(stream, text.slice(0, newline))
        skippingRest = false
        text = text.slice(newline + 1)
        newline = text.indexOf('\n')
      }
      // A line without an end yet may grow without bound: keep only its head.
      if (!skippingRest && text.length > this.#limits.maxLineChars) {
        this.push(stream, text)
        skippingRest = true
      }
      partial = skippingRest ? '' : text
    }
    readable.on('data', (chunk: Buffer) => take(decoder.write(chunk)))
    readable.on('end', () => {
      take(decoder.end())
      if (partial !== '') this.push(stream, partial)
      partial = ''
    })
  }

  /** Records one line and tells the listeners. */
  push(stream: LineStream, raw: string): void {
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (text.length > this.#limits.maxLineChars) {
      text = text.slice(0, this.#limits.maxLineChars) + truncatedMark
    }
    const line: LogLine = { seq: this.#nextSeq++, stream, text }
    this.#lines.push(line)
    if (this.#lines.length > this.#limits.maxLines) this.#lines.shift()
    for (const listener of this.#listeners) listener(line)
  }

  /** Calls `listener` for every new line; returns the function that stops it. */
  onLine(listener: (line: LogLine) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The last `count` lines as text, each prefixed with its stream, for error messages. */
  tail(count = 40): string {
    return this.#lines
      .slice(-count)
      .map((line) => `${line.stream}| ${line.text}`)
      .join('\n')
  }
}
