import { isIPv4, isIPv6 } from 'node:net'

import type { CidrRange } from '../config/types.js'

/** An address as a 128-bit number; IPv4 (also IPv4-mapped IPv6) maps into `::ffff:0:0/96`. */
interface Address {
  readonly family: 4 | 6
  readonly value: bigint
}

const mappedPrefix = 0xffffn << 32n

/** Parses an IPv4 or IPv6 address (zone ids and brackets refused); undefined when invalid. */
export function parseAddress(text: string): Address | undefined {
  if (isIPv4(text)) return { family: 4, value: mappedPrefix | ipv4Value(text) }
  if (!isIPv6(text) || text.includes('%')) return undefined
  const value = ipv6Value(text)
  if (value >> 32n === 0xffffn) return { family: 4, value }
  return { family: 6, value }
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address is a single host); undefined when invalid. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/')
  const addressText = slash === -1 ? text : text.slice(0, slash)
  const address = parseAddress(addressText)
  if (address === undefined) return undefined
  const v4 = isIPv4(addressText)
  const maxBits = v4 ? 32 : 128
  const bitsText = slash === -1 ? String(maxBits) : text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bitsText)) return undefined
  const bits = Number(bitsText)
  if (bits > maxBits) return undefined
  const prefixBits = v4 ? bits + 96 : bits
  const family = v4 ? 4 : address.family
  return { text, family, network: address.value & mask(prefixBits), prefixBits }
}

/** True when `address` (as the relay saw the client) lies in `range`. */
export function inRange(range: CidrRange, address: string): boolean {
  const parsed = parseAddress(address)
  if (parsed === undefined) return false
  return (parsed.value & mask(range.prefixBits)) === range.network
}

function mask(prefixBits: number): bigint {
  const all = (1n << 128n) - 1n
  return prefixBits === 0 ? 0n : (all << BigInt(128 - prefixBits)) & all
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
}

function ipv6Value(text: string): bigint {
  let body = text
  const lastColon = body.lastIndexOf(':')
  const lastPart = body.slice(lastColon + 1)
  if (isIPv4(lastPart)) {
    const v4 = ipv4Value(lastPart)
    const groups = `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
    body = `${body.slice(0, lastColon + 1)}${groups}`
  }
  const [head = '', rest] = body.split('::')
  const parse = (part: string): bigint[] =>
    part === '' ? [] : part.split(':').map((group) => BigInt(parseInt(group, 16)))
  const headGroups = parse(head)
  const restGroups = rest === undefined ? [] : parse(rest)
  const fill = Math.max(8 - headGroups.length - restGroups.length, 0)
  const groups = [...headGroups, ...Array<bigint>(fill).fill(0n), ...restGroups]
  return groups.reduce((acc, group) => (acc << 16n) | group, 0n)
}
