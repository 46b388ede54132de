import { createHash } from 'node:crypto'

/**
 * The deterministic body that the origin's `/bytes/N` route sends by default: byte `i` of the
 * body is `i % 251`. A prime period keeps the pattern from lining up with chunk or frame
 * sizes, so a dropped, repeated or reordered chunk changes the hash.
 */
export function patternBytes(offset: number, length: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TypeError(`'offset' must be a non-negative integer, got ${offset}`)
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new TypeError(`'length' must be a non-negative integer, got ${length}`)
  }
  const bytes = Buffer.allocUnsafe(length)
  for (let index = 0; index < length; index++) bytes[index] = (offset + index) % 251
  return bytes
}

/** The SHA-256 (hex) of the first `length` pattern bytes, computed in bounded memory. */
export function patternSha256(length: number): string {
  const hash = createHash('sha256')
  const blockBytes = 251 * 4096
  const block = patternBytes(0, blockBytes)
  let left = length
  // Every block starts at a multiple of the period, so the same block repeats.
  while (left > 0) {
    const take = Math.min(left, blockBytes)
    hash.update(take === blockBytes ? block : block.subarray(0, take))
    left -= take
  }
  return hash.digest('hex')
}
