import { randomBytes } from 'node:crypto'

import { MemoryLoginStateStore } from '../login/login-states.js'
import {
  MemorySamlIdStore, SamlIdentityProvider, SamlKeyStore, type SamlIdStore,
} from '../saml/index.js'
import { originFor } from './context.js'
import type { GateRequest } from './types.js'

/** How long a login forced by `ForceAuthn` may take. */
const forcedLoginMs = 10 * 60_000

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
  readonly #forcedLogins: MemoryLoginStateStore<number>
  #keys: SamlKeyStore | undefined

  constructor(options: SamlGateStateOptions) {
    this.#options = options
    this.#ids = options.ids ?? new MemorySamlIdStore()
    this.#forcedLogins = new MemoryLoginStateStore<number>({ nowMs: options.nowMs })
  }

  /**
   * Notes that a `ForceAuthn` request sends the user to the provider now; the returned
   * one-time value comes back with the resumed request.
   */
  async beginForcedLogin(): Promise<string> {
    const marker = randomBytes(18).toString('base64url')
    await this.#forcedLogins.put(marker, this.#options.nowMs(), forcedLoginMs)
    return marker
  }

  /** When the forced login of `marker` began; undefined when unknown, used or expired. */
  takeForcedLogin(marker: string | null): Promise<number | undefined> {
    return marker === null ? Promise.resolve(undefined) : this.#forcedLogins.take(marker)
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
