/**
 * A local RFC 3161 time-stamp authority for tests: openssl makes a TSA root CA and a TSA
 * certificate (critical EKU timeStamping), and a node http server on 127.0.0.1 answers
 * `application/timestamp-query` with `openssl ts -reply`. No network leaves the machine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How the server answers. `ok` is an honest TSA; the others model broken or hostile TSAs:
 * `garbage` (bytes that are not a TimeStampResp), `http-error` (HTTP 500), `rejection`
 * (status rejection, no token), `wrong-imprint` (a valid token over other data),
 * `no-nonce` (a token for the right data that omits the requested nonce), `hang` (never answers).
 */
export type TsaBehaviour =
  'ok' | 'garbage' | 'http-error' | 'rejection' | 'wrong-imprint' | 'no-nonce' | 'hang';

export interface LocalTsa {
  /** `http://127.0.0.1:PORT/tsa` */
  readonly url: string;
  /** The TSA root: add it to the verifier's trust anchors to make the time-stamps trusted. */
  readonly caCertPem: string;
  /** The TSA signing certificate. */
  readonly tsaCertPem: string;
  /** Requests answered so far. */
  readonly requests: number;
  behaviour: TsaBehaviour;
  close(): Promise<void>;
}

const TSA_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=critical,timeStamping',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid:always',
].join('\n');

function tsaConfig(dir: string): string {
  return `
[ tsa ]
default_tsa = local_tsa

[ local_tsa ]
dir = ${dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

async function makePki(dir: string): Promise<void> {
  await writeFile(join(dir, 'tsa.ext'), TSA_EXT);
  await writeFile(join(dir, 'serial'), '01\n');
  await writeFile(join(dir, 'tsa.cnf'), tsaConfig(dir));
  const p = (f: string) => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-subj',
    '/CN=provmark test TSA root/O=provmark tests',
    '-days',
    '3650',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    '-new',
    ...ec,
    '-keyout',
    p('tsa.key'),
    '-out',
    p('tsa.csr'),
    '-subj',
    '/CN=provmark test TSA/O=provmark tests',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('tsa.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-set_serial',
    '0x' + Date.now().toString(16),
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    p('tsa.ext'),
    '-out',
    p('tsa.pem'),
  ]);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The hex message imprint of a DER TimeStampReq, read back with `openssl ts -query -text`. */
async function queryDigest(dir: string, queryFile: string): Promise<string> {
  const { stdout } = await run('openssl', ['ts', '-query', '-in', queryFile, '-text']);
  const m = /Message data:\s*([\s\S]*?)\n(?:Policy OID|Nonce)/.exec(stdout);
  if (!m) throw new Error(`cannot read the query digest in ${dir}`);
  const hex = [...m[1]!.matchAll(/ - ((?:[0-9a-f]{2}[ -]?)+)/g)]
    .map((x) => x[1]!.replace(/[ -]/g, ''))
    .join('');
  return hex;
}

let counter = 0;

async function reply(dir: string, query: Buffer, behaviour: TsaBehaviour): Promise<Buffer> {
  const id = `${process.pid}-${++counter}`;
  const q = join(dir, `q${id}.tsq`);
  const r = join(dir, `r${id}.tsr`);
  await writeFile(q, query);
  try {
    let queryFile = q;
    if (behaviour === 'wrong-imprint' || behaviour === 'no-nonce') {
      const digest = behaviour === 'wrong-imprint' ? 'ab'.repeat(32) : await queryDigest(dir, q);
      queryFile = join(dir, `q${id}-other.tsq`);
      await run('openssl', [
        'ts',
        '-query',
        '-digest',
        digest,
        '-sha256',
        '-cert',
        ...(behaviour === 'no-nonce' ? ['-no_nonce'] : []),
        '-out',
        queryFile,
      ]);
    }
    await run('openssl', [
      'ts',
      '-reply',
      '-config',
      join(dir, 'tsa.cnf'),
      '-queryfile',
      queryFile,
      '-out',
      r,
    ]);
    return await readFile(r);
  } finally {
    await rm(q, { force: true });
    await rm(r, { force: true });
  }
}

/** A TimeStampResp with status rejection (2) and failInfo badAlg, no token (RFC 3161 §2.4.2). */
const REJECTION = Buffer.from('30093007020102030207 80'.replace(/ /g, ''), 'hex');

/**
 * Start a local TSA. Close it when done.
 *
 * @example
 * ```ts
 * const tsa = await startLocalTsa();
 * await sign(file, { signer, timestamp: { url: tsa.url } });
 * await tsa.close();
 * ```
 */
export async function startLocalTsa(behaviour: TsaBehaviour = 'ok'): Promise<LocalTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'provmark-tsa-'));
  await makePki(dir);
  const caCertPem = await readFile(join(dir, 'ca.pem'), 'utf8');
  const tsaCertPem = await readFile(join(dir, 'tsa.pem'), 'utf8');
  let requests = 0;
  const hanging = new Set<import('node:http').ServerResponse>();
  const state: { behaviour: TsaBehaviour } = { behaviour };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      requests++;
      const mode = state.behaviour;
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode === 'http-error') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('TSA down');
        return;
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end();
        return;
      }
      const out =
        mode === 'garbage'
          ? Buffer.from('<html>not a time-stamp</html>')
          : mode === 'rejection'
            ? REJECTION
            : await reply(dir, body, mode);
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(out);
    })().catch((err: Error) => {
      res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caCertPem,
    tsaCertPem,
    get requests() {
      return requests;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: TsaBehaviour) {
      state.behaviour = b;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
