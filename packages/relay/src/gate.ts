/**
 * The access gate's hook, as the access layer declares it: asked about every public request
 * (hosts with no tunnel included); a gate that throws makes the relay answer 500 and never
 * forward. Types only: the relay loads no code of the access layer.
 */
export type {
  GateDecision,
  GateRequest,
  RequestGate,
  TcpSessionEnd,
} from '@keyway/access'

/** Request headers a client may not send: only the gate sets them. */
export function isAccessHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return lower.startsWith('keyway-access-') || lower === 'cf-access-jwt-assertion'
}
