/**
 * Certificates made at test time with the `openssl` command (Debian's openssl
 * package; .ci/run installs it when missing): the hub's self-signed server
 * certificate for 127.0.0.1, a small device CA, and device certificates
 * signed by it. EC P-256 keys keep each one to a few milliseconds.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface TestCert {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint, as TLSSocket#getPeerCertificate().fingerprint256 shows it. */
  fingerprint256: string;
}

/**
 * Writes `<name>.pem` and `<name>.key` into `dir`. Without `signedBy` the
 * certificate is self-signed for 127.0.0.1 / localhost (a hub); with it, it is
 * a client certificate signed by that CA (a device).
 */
export async function makeCert(dir: string, name: string, options: { cn: string; signedBy?: TestCert; ca?: boolean }): Promise<TestCert> {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  args.push('-keyout', keyPath, '-out', certPath, '-subj', `/CN=${options.cn}`);
  if (options.ca) args.push('-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  else if (options.signedBy) {
    args.push('-CA', options.signedBy.certPath, '-CAkey', options.signedBy.keyPath);
    args.push('-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=clientAuth');
  } else args.push('-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE');
  await run('openssl', args);
  const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
  return { certPath, keyPath, cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** Two hub certificates (a renewal: A, then B) and a device CA, in a temp dir. */
export interface TlsFixture {
  dir: string;
  hubA: TestCert;
  hubB: TestCert;
  deviceCa: TestCert;
  /** The paths the hub is started with; `install` copies a certificate there, as a renewal would. */
  live: { certPath: string; keyPath: string };
  install(cert: TestCert): Promise<void>;
  /** The env that turns TLS on with the live paths (MQTT TLS on a free port). */
  env: Record<string, string>;
}

export async function makeTlsFixture(dir: string): Promise<TlsFixture> {
  const [hubA, hubB, deviceCa] = await Promise.all([
    makeCert(dir, 'hub-a', { cn: 'hub-a' }),
    makeCert(dir, 'hub-b', { cn: 'hub-b' }),
    makeCert(dir, 'device-ca', { cn: 'test device CA', ca: true }),
  ]);
  const live = { certPath: join(dir, 'live.pem'), keyPath: join(dir, 'live.key') };
  const install = async (cert: TestCert) => {
    await writeFile(live.keyPath, cert.key);
    await writeFile(live.certPath, cert.cert);
  };
  await install(hubA);
  return { dir, hubA, hubB, deviceCa, live, install, env: { HUB_TLS_CERT: live.certPath, HUB_TLS_KEY: live.keyPath, HUB_MQTTS_PORT: '0' } };
}

/** One fixture per test file: made in beforeAll in a temp dir, removed in afterAll. */
export function useTlsFixture(): () => TlsFixture {
  let temp: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let fixture: TlsFixture | undefined;
  beforeAll(async () => {
    temp = await makeTempDir('hub-tls-');
    fixture = await makeTlsFixture(temp.path);
  });
  afterAll(() => temp?.remove());
  return () => {
    if (!fixture) throw new Error('the TLS fixture is made in beforeAll');
    return fixture;
  };
}
