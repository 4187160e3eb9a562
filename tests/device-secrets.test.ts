/** Device secrets: high entropy, unique, and safe to paste on a command line. */
import { describe, expect, it } from 'vitest';
import { deviceSecretMatches, hashDeviceSecret, newDeviceSecret } from '../hub/registry/secrets.js';

describe('device secrets', () => {
  it('never start with a dash, so a command line cannot mistake one for a flag', () => {
    const secrets = Array.from({ length: 2_000 }, newDeviceSecret);
    expect(secrets.some((s) => s.startsWith('-'))).toBe(false);
    expect(new Set(secrets).size).toBe(2_000);
    expect(secrets.every((s) => /^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/.test(s))).toBe(true);
  });

  it('are stored as a hash that matches only the secret itself', () => {
    const secret = newDeviceSecret();
    const stored = hashDeviceSecret(secret);
    expect(stored).not.toContain(secret);
    expect(deviceSecretMatches(secret, stored)).toBe(true);
    expect(deviceSecretMatches(`${secret}x`, stored)).toBe(false);
    expect(deviceSecretMatches(newDeviceSecret(), stored)).toBe(false);
  });
});
