import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto'

/**
 * A minimal DER writer for one thing: a self-signed X.509 v3 certificate over an RSA key,
 * signed with SHA-256. SAML service providers only read the public key out of it.
 */

const oid = {
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
} as const

/** What goes into the certificate. */
export interface SelfSignedParams {
  readonly privateKey: KeyObject
  readonly commonName: string
  readonly notBeforeMs: number
  readonly notAfterMs: number
}

/** Makes a self-signed certificate for `privateKey`; returns it as PEM. */
export function createSelfSignedCertificate(params: SelfSignedParams): string {
  const spki = createPublicKey(params.privateKey).export({ type: 'spki', format: 'der' })
  const name = sequence(set(sequence(objectId(oid.commonName), utf8(params.commonName))))
  const algorithm = sequence(objectId(oid.sha256WithRsa), tlv(0x05, Buffer.alloc(0)))
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  const extensions = sequence(
    extension(oid.basicConstraints, sequence()),
    // digitalSignature only: one used bit, seven unused.
    extension(oid.keyUsage, tlv(0x03, Buffer.from([0x07, 0x80]))),
  )
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name,
    sequence(time(params.notBeforeMs), time(params.notAfterMs)),
    name,
    spki,
    tlv(0xa3, extensions),
  )
  const signature = sign('sha256', tbs, params.privateKey)
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

/** The base64 DER body of a PEM certificate, as `X509Certificate` elements carry it. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
}

function extension(id: string, value: Buffer): Buffer {
  return sequence(objectId(id), tlv(0x01, Buffer.from([0xff])), tlv(0x04, value))
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  let header: Buffer
  if (length < 0x80) header = Buffer.from([tag, length])
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length])
  else if (length < 0x10000) header = Buffer.from([tag, 0x82, length >> 8, length & 0xff])
  else header = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff])
  return Buffer.concat([header, content])
}

function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items))
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items))
}

function integer(bytes: Buffer): Buffer {
  const positive = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes
  return tlv(0x02, positive)
}

function utf8(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'))
}

function objectId(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const bytes: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)]
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      chunk.unshift((rest & 0x7f) | 0x80)
    }
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function time(ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString()
  const digits = iso.replace(/[-:T]/g, '').replace(/\.000Z$/, 'Z')
  const year = new Date(ms).getUTCFullYear()
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits))
}
