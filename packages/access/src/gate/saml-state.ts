import {
  MemorySamlIdStore, SamlIdentityProvider, SamlKeyStore, type SamlIdStore,
} from '../saml/index.js'
import { originFor } from './context.js'
import type { GateRequest } from './types.js'

/** Options of {@link SamlGateState}. */
export interface SamlGateStateOptions {
  /** The key file `saml-idp-keys.json` lives here; undefined keeps the keys in memory. */
  readonly dataDir: string | undefined
  readonly nowMs: () => number
  /** Replaces the in-memory ID store (a store shared by several relays). */
  readonly ids?: SamlIdStore
}

/**
 * What the SAML endpoints keep across requests and config reloads: the signing keys and the
 * IDs already accepted or issued. The key file is opened at the first SAML request, so a
 * relay without SAML apps never makes an RSA key.
 */
export class SamlGateState {
  readonly #options: SamlGateStateOptions
  readonly #ids: SamlIdStore
  #keys: SamlKeyStore | undefined

  constructor(options: SamlGateStateOptions) {
    this.#options = options
    this.#ids = options.ids ?? new MemorySamlIdStore()
  }

  /** The identity provider as seen through `request`'s listener (scheme and port). */
  identityProvider(request: GateRequest, authDomain: string): SamlIdentityProvider {
    this.#keys ??= SamlKeyStore.open({ dataDir: this.#options.dataDir,
      nowMs: this.#options.nowMs })
    return new SamlIdentityProvider({
      authDomain: new URL(originFor(request, authDomain)).host,
      scheme: request.proto,
      keys: this.#keys,
      ids: this.#ids,
      nowMs: this.#options.nowMs,
    })
  }
}
