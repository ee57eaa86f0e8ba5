/**
 * `provmark/sign`: C2PA signing, signers and development credentials.
 * @packageDocumentation
 */
// The public sign() and protect() are orchestration (src/flows): the signing step plus its read-back,
// and watermark + sign + register. Re-exported so `provmark/sign` keeps its API.
export { sign, type SignOptions, type SignResult } from '../flows/sign.js';
export { protect, type ProtectOptions, type ProtectResult } from '../flows/protect.js';
export type { TimestampOptions } from './timestamp.js';
export {
  createPemSigner,
  createEd25519Signer,
  createCallbackSigner,
  type Signer,
  type SigningAlgorithm,
  type PemInput,
  type PemSignerOptions,
  type Ed25519SignerOptions,
  type CallbackSignerOptions,
} from './signers.js';
export {
  generateDevCredentials,
  type DevCredentials,
  type DevCredentialOptions,
  type DevKeyAlgorithm,
} from './credentials.js';
export {
  DIGITAL_SOURCE_TYPES,
  digitalSourceTypeUri,
  type DigitalSourceType,
  type ManifestInput,
  type ActionInput,
  type AssertionInput,
} from './manifest.js';
