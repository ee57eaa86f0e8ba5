/** Where the browser tests find Chromium: PROVMARK_CHROMIUM, else Debian's package (`apt-get install chromium`). */
import { existsSync } from 'node:fs';

export function chromiumPath(): string | undefined {
  const env = process.env.PROVMARK_CHROMIUM;
  if (env) return existsSync(env) ? env : undefined;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
    existsSync(p),
  );
}

/** Launch arguments: the sandbox needs user namespaces, which CI containers running as root lack. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-dev-shm-usage'];
