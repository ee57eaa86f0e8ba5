import {
  createPemSigner,
  generateDevCredentials,
  type DevCredentials,
  type Signer,
} from '../../src/sign/index.js';

let cached: Promise<{ creds: DevCredentials; signer: Signer }> | undefined;

/** One development CA + Ed25519 signer per test file (keygen is cheap but not free). */
export function devSigner(): Promise<{ creds: DevCredentials; signer: Signer }> {
  cached ??= (async () => {
    const creds = await generateDevCredentials({ alg: 'ed25519' });
    const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
    return { creds, signer };
  })();
  return cached;
}
