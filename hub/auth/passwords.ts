/**
 * User passwords, hashed with scrypt from node:crypto (DESIGN.md §5). Stored as
 * `scrypt$N$r$p$<salt b64>$<hash b64>` so the cost can be raised later without
 * breaking existing hashes: a hash of a lower cost still verifies, and is
 * replaced at the user's next successful login (`needsRehash`).
 *
 * The cost is OWASP's scrypt floor in its N = 2^15 form (N = 32,768, r = 8,
 * p = 3: ~195 ms per hash on this machine). N = 2^15 also keeps memory flat:
 * its 32 MiB block is over glibc's cap for the dynamic mmap threshold, so it
 * is always mmap'ed and given back, where the earlier N = 16,384 (16 MiB)
 * stayed in each thread-pool thread's malloc arena after a login: +64 MiB of
 * RSS after four logins (docs/PERFORMANCE.md, "each operator login can keep
 * 16 MiB").
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

interface Cost {
  N: number;
  r: number;
  p: number;
}

const COST: Cost = { N: 32_768, r: 8, p: 3 };
/**
 * The first admin of an empty hub, hashed while the hub starts: the same
 * memory (so nothing stays in a pool thread's arena) in a third of the time,
 * since the first start is ready only once the admin exists (~75 ms instead
 * of ~195: the 400 ms cold-start budget). The admin's first login replaces it
 * with the full cost (`needsRehash`).
 */
export const FIRST_START_COST: Cost = { N: 32_768, r: 8, p: 1 };
const KEY_LENGTH = 64;
/** Room for any cost up to 2^16 × r 8 (64 MiB); Node's default maxmem (32 MiB) refuses N = 2^15 (128 × N × r + overhead). */
const MAX_MEMORY = 160 * 1024 * 1024;
/** A stored hash naming a larger cost is not ours: refuse it rather than allocate what it asks. */
const MAX_N = 1 << 16;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: Cost = COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || !(Number(n) <= MAX_N)) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash made with a lower cost than today's: the login that just proved the password replaces it. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) < COST.N || Number(r) < COST.r || Number(p) < COST.p;
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a login's password against the user's hash, or, when there is no
 * such user, against a dummy hash of the same cost, so an unknown username
 * takes as long as a wrong password (issue 10 item 8: 4 ms against 56 ms told
 * which usernames exist). The dummy is made once, with the current cost.
 */
export async function verifyLogin(password: string, stored: string | undefined): Promise<boolean> {
  if (stored !== undefined) return verifyPassword(password, stored);
  dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
  await verifyPassword(password, await dummyHash);
  return false;
}

/** A readable generated password for the first admin (printed once). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
