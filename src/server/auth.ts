import { createHash, timingSafeEqual } from 'node:crypto';

/** Result of checking an Authorization header against the configured bearer tokens. */
export type AuthResult = 'ok' | 'missing' | 'invalid' | 'disabled';

/**
 * Check `Authorization: Bearer …` against a fixed set of tokens (RFC 6750). Tokens are compared as
 * SHA-256 digests with a constant-time comparison, so neither the length nor a prefix of a valid
 * token leaks through timing.
 */
export function createTokenCheck(tokens: readonly string[]): (header: string | undefined) => AuthResult {
  const digests = tokens.map((t) => createHash('sha256').update(t, 'utf8').digest());
  return (header) => {
    if (digests.length === 0) return 'disabled';
    if (header === undefined || header === '') return 'missing';
    const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
    if (!m) return 'invalid';
    const d = createHash('sha256').update(m[1]!, 'utf8').digest();
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(t, d) || ok;
    return ok ? 'ok' : 'invalid';
  };
}

/** Validate configured tokens: printable ASCII without spaces, at least 16 characters. */
export function checkTokens(tokens: unknown, name = 'tokens'): string[] {
  if (tokens === undefined) return [];
  if (!Array.isArray(tokens)) throw new TypeError(`Expected an array of strings for ${name}`);
  return tokens.map((t, i) => {
    if (typeof t !== 'string') throw new TypeError(`Expected a string for ${name}[${i}]`);
    if (!/^[\x21-\x7e]{16,512}$/.test(t)) {
      throw new RangeError(
        `Expected 16-512 printable ASCII characters without spaces for ${name}[${i}] (a bearer token; e.g. openssl rand -hex 32)`,
      );
    }
    return t;
  });
}
