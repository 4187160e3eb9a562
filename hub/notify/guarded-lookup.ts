/**
 * A `lookup` for node:http's request options that resolves the name and
 * refuses the connection when any address it gives is refused by the
 * AddressGuard (issue 10 item 6). The socket connects to exactly the address
 * checked here, so a name that resolves (or rebinds) to a private address
 * never gets a single packet from the hub.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AddressGuard } from './address-guard.js';

/** The connection was refused by the address guard: final, not worth a retry. */
export class RefusedAddressError extends Error {
  readonly code = 'EHUBREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

/** dns.lookup with `all: true`, as the guard needs every address. Tests pass a fake resolver. */
export type ResolveAll = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const resolveWithDns: ResolveAll = (hostname, options, callback) => dnsLookup(hostname, options, callback);

export function guardedLookup(guard: AddressGuard, resolve: ResolveAll = resolveWithDns): LookupFunction {
  return (hostname, options, callback) => {
    const { all, ...rest } = options as LookupOneOptions & { all?: boolean };
    resolve(hostname, { ...rest, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      // Every address, not just the first: with Happy Eyeballs the socket may try any of them.
      for (const { address } of addresses) {
        const refused = guard(address);
        if (refused) return callback(new RefusedAddressError(`${hostname} resolves to ${address}, and ${refused}`) as NodeJS.ErrnoException, '', 0);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
