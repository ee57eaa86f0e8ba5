/**
 * Settings ("context") JSON for the engine: trust anchors, allowed list, EKU configuration and
 * verification switches. Network access is always off unless asked for.
 */
export interface EngineTrust {
  /** Trust anchors: PEM bundle of root/intermediate CAs. */
  readonly anchors?: string;
  /**
   * Time-stamp authority roots (PEM bundle). The engine (c2pa-rs, @contentauth/c2pa-wasm 0.13.3)
   * has no separate TSA list: it checks RFC 3161 tokens against the same anchors as claim signers,
   * so these are appended to `trust_anchors`. The EKU list still decides which certificates may sign
   * claims.
   */
  readonly tsaAnchors?: string;
  /** End-entity certificates trusted as they are (PEM bundle). */
  readonly allowedList?: string;
  /** Allowed EKU OIDs, one per line (c2pa-rs `store.cfg` format). */
  readonly ekuConfig?: string;
}

export interface EngineContextOptions {
  readonly trust?: EngineTrust;
  /** Fetch a manifest referenced only by a remote URL (network). Default false. */
  readonly fetchRemoteManifests?: boolean;
  /** Let the engine verify right after signing (catches bad signatures/certificates early). Default true. */
  readonly verifyAfterSign?: boolean;
}

/** Build the engine's context JSON string. */
export function engineContextJson(options: EngineContextOptions = {}): string {
  const trust: Record<string, string> = {};
  const anchors = [options.trust?.anchors, options.trust?.tsaAnchors].filter(Boolean).join('\n');
  if (anchors) trust.trust_anchors = anchors;
  if (options.trust?.allowedList) trust.allowed_list = options.trust.allowedList;
  if (options.trust?.ekuConfig) trust.trust_config = options.trust.ekuConfig;
  return JSON.stringify({
    trust,
    verify: {
      remote_manifest_fetch: options.fetchRemoteManifests ?? false,
      ocsp_fetch: false,
      verify_after_sign: options.verifyAfterSign ?? true,
    },
  });
}
