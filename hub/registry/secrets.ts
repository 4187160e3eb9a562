/**
 * Device secrets: 32 random bytes, shown once at provisioning, stored only as
 * a SHA-256 digest. A fast digest is right here (unlike user passwords, which
 * use scrypt): the secret has 256 bits of entropy, so it cannot be brute-forced
 * from its hash, and a reconnect storm of 40,000 devices must not cost 40,000
 * scrypt runs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newDeviceSecret(): string {
  // Never starting with '-': a secret pasted after a flag (`--secret -x…`) would be read as another flag.
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export function hashDeviceSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

export function deviceSecretMatches(secret: string, storedHash: string): boolean {
  const candidate = Buffer.from(hashDeviceSecret(secret));
  const stored = Buffer.from(storedHash);
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
