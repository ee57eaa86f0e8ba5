import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPemSigner, generateDevCredentials, sign } from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { issueCertificate } from '../helpers/issue.js';
import { makeImage } from '../helpers/media.js';

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
const C2PA_CLAIM_SIGNING = '1.3.6.1.4.1.62558.2.1';

function ekusOf(pem: string): string[] {
  const cert = new x509.X509Certificate(pem);
  return (cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []).map(String);
}

describe('development credentials (keygen)', () => {
  it.each(['ed25519', 'es256'] as const)(
    '%s signer certificates carry the C2PA claim-signing EKU with emailProtection and documentSigning',
    async (alg) => {
      const creds = await generateDevCredentials({ alg });
      expect(ekusOf(creds.signerCertPem).sort()).toEqual(
        [EMAIL_PROTECTION, DOCUMENT_SIGNING, C2PA_CLAIM_SIGNING].sort(),
      );
    },
  );

  it('a certificate whose only EKU is C2PA claim signing passes the pre-sign profile check and verifies trusted when that EKU is allowed', async () => {
    const ca = await generateDevCredentials();
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const chain = await issueCertificate(ca, { subjectKey: pair.publicKey, eku: [C2PA_CLAIM_SIGNING] });
    expect(ekusOf(chain)).toEqual([C2PA_CLAIM_SIGNING]);
    const signer = await createPemSigner({
      key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      certificate: chain,
    });
    const trust = { anchors: [ca.caCertPem], ekus: [C2PA_CLAIM_SIGNING] };
    const out = await sign(await makeImage('jpeg'), { signer, trust });
    const report = await verify(out.bytes, { trust });
    expect(report.state).toBe('trusted');
  });
});
