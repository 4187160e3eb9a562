/**
 * The hub's TLS material (issue 10 item 9): the certificate, key and optional
 * device CA named by HUB_TLS_CERT / HUB_TLS_KEY / HUB_TLS_CA, read and checked
 * as one set. At start a problem is one line naming the variable to fix; on
 * SIGHUP (`reload`) a problem keeps the certificate in use and logs one line,
 * so a botched renewal never takes the hub's listeners down. Both TLS servers
 * (MQTT and HTTPS) are swapped together with `setSecureContext`: open
 * connections keep the certificate they were made with.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { StartupError } from '../core/data-dir.js';
import type { Logger } from '../core/logger.js';
import type { HubConfig } from './config.js';

type TlsVariable = 'HUB_TLS_CERT' | 'HUB_TLS_KEY' | 'HUB_TLS_CA';

export interface TlsMaterial {
  /** What tls.createServer and setSecureContext take. */
  context: SecureContextOptions;
  /** Whether device client certificates are asked for (HUB_TLS_CA is set). */
  requestClientCert: boolean;
  /** SHA-256 fingerprint of the hub's certificate: the log lines name the certificate by it. */
  fingerprint256: string;
  validTo: Date;
}

/** Anything that serves TLS: tls.Server, https.Server, the broker. */
export interface SecureContextTarget {
  setSecureContext(context: SecureContextOptions): void;
}

type TlsPaths = Record<TlsVariable, string | undefined>;

export class TlsCertificates {
  private readonly targets: SecureContextTarget[] = [];

  private constructor(
    private readonly paths: TlsPaths,
    private current: TlsMaterial,
    private readonly log: Logger,
    /** Real time, not the hub's clock: OpenSSL checks validity against it too. */
    private readonly now: () => number,
  ) {}

  /**
   * Undefined when TLS is not configured; throws a StartupError naming the
   * variable when the settings or files are wrong. An expired certificate
   * starts with a warning: refusing to start would silence every home.
   */
  static async open(config: HubConfig, log: Logger, now: () => number = Date.now): Promise<TlsCertificates | undefined> {
    const paths: TlsPaths = { HUB_TLS_CERT: config.tlsCert, HUB_TLS_KEY: config.tlsKey, HUB_TLS_CA: config.tlsCa };
    if (!paths.HUB_TLS_CERT && !paths.HUB_TLS_KEY) {
      if (paths.HUB_TLS_CA) throw new StartupError('HUB_TLS_CA is set without HUB_TLS_CERT and HUB_TLS_KEY: device certificates are checked on the MQTT TLS listener, which needs both');
      return undefined;
    }
    for (const [name, other] of [['HUB_TLS_CERT', 'HUB_TLS_KEY'], ['HUB_TLS_KEY', 'HUB_TLS_CERT']] as const) {
      if (!paths[name]) throw new StartupError(`${other} is set but ${name} is not: set both (PEM files) to serve MQTT over TLS and HTTPS, or neither`);
    }
    const material = await readTlsMaterial(paths);
    if (material.validTo.getTime() < now()) log.warn({ module: 'tls', validTo: material.validTo.toISOString() }, `HUB_TLS_CERT ${paths.HUB_TLS_CERT} has expired: renew it and send SIGHUP`);
    return new TlsCertificates(paths, material, log, now);
  }

  get material(): TlsMaterial {
    return this.current;
  }

  /** Registers a server to be given the new context on every successful reload. */
  use(target: SecureContextTarget): void {
    this.targets.push(target);
  }

  /**
   * Re-reads the files. On success every registered server serves the new
   * certificate to new connections; on failure nothing changes. Never throws.
   */
  async reload(): Promise<boolean> {
    const inUse = this.current.fingerprint256;
    let next: TlsMaterial;
    try {
      next = await readTlsMaterial(this.paths);
      if (next.validTo.getTime() < this.now()) throw new StartupError(`HUB_TLS_CERT ${this.paths.HUB_TLS_CERT} expired on ${next.validTo.toISOString()}`);
      for (const target of this.targets) target.setSecureContext(next.context);
    } catch (err) {
      this.log.error({ module: 'tls', certificateInUse: inUse }, `TLS reload failed, still serving the previous certificate: ${(err as Error).message}`);
      return false;
    }
    this.current = next;
    this.log.info({ module: 'tls', fingerprint256: next.fingerprint256, validTo: next.validTo.toISOString(), previous: inUse }, 'TLS certificates reloaded');
    return true;
  }
}

async function readTlsMaterial(paths: TlsPaths): Promise<TlsMaterial> {
  const cert = await readPem(paths, 'HUB_TLS_CERT');
  const key = await readPem(paths, 'HUB_TLS_KEY');
  const ca = paths.HUB_TLS_CA ? await readPem(paths, 'HUB_TLS_CA') : undefined;
  const certificate = parse(paths, 'HUB_TLS_CERT', 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parse<KeyObject>(paths, 'HUB_TLS_KEY', 'an unencrypted PEM private key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new StartupError(`HUB_TLS_KEY ${paths.HUB_TLS_KEY} is not the private key of the certificate in HUB_TLS_CERT ${paths.HUB_TLS_CERT}`);
  }
  if (ca) parse(paths, 'HUB_TLS_CA', 'a PEM CA certificate', () => new X509Certificate(ca));
  const context: SecureContextOptions = { cert, key, ...(ca ? { ca } : {}) };
  // The last word is OpenSSL's: what it refuses here would fail every handshake.
  parse(paths, 'HUB_TLS_CERT', 'a certificate OpenSSL accepts with its key', () => createSecureContext(context));
  return { context, requestClientCert: ca !== undefined, fingerprint256: certificate.fingerprint256, validTo: new Date(certificate.validTo) };
}

async function readPem(paths: TlsPaths, name: TlsVariable): Promise<Buffer> {
  try {
    return await readFile(paths[name]!);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(`${name} ${paths[name]} cannot be read (${code}): set ${name} to a PEM file this user can read`);
  }
}

function parse<T>(paths: TlsPaths, name: TlsVariable, what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new StartupError(`${name} ${paths[name]} is not ${what} (${(err as Error).message})`);
  }
}
