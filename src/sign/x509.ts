/**
 * @peculiar/x509, loaded on first use. It needs a Reflect metadata polyfill before it loads (its
 * dependency tsyringe throws without one), and that polyfill patches the global `Reflect`: so the
 * patch happens here, when provmark first parses or makes a certificate, never when the package is
 * imported. x509's global crypto provider is never set: the calls that need WebCrypto are given
 * `node:crypto`'s explicitly.
 */
import type * as X509 from '@peculiar/x509';

let loading: Promise<typeof X509> | undefined;

/** The @peculiar/x509 module (with `reflect-metadata` loaded first). */
export function loadX509(): Promise<typeof X509> {
  loading ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return loading;
}
