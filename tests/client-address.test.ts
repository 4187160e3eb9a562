/**
 * Which address the login guard counts a login against when requests come
 * through cluster followers (hub/api/client-address.ts, HUB_TRUSTED_PROXIES):
 * X-Forwarded-For is read from the right, one hop at a time, and only while
 * the hop that wrote it is a trusted peer. A client cannot pick its address
 * by sending the header, whether straight to the leader or through a follower.
 */
import { describe, expect, it } from 'vitest';
import { clientAddressBehind } from '../hub/api/client-address.js';
import { loadConfig } from '../hub/config/config.js';
import { parseNetworkList } from '../hub/core/network-list.js';

const peers = (text: string) => {
  const parsed = parseNetworkList(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.list;
};
const cluster = peers('10.0.0.0/24,fd00::/8');

describe('client address behind trusted proxies', () => {
  it('is the socket address when nothing is trusted, whatever the header says', () => {
    expect(clientAddressBehind('203.0.113.9', '1.2.3.4', undefined)).toBe('203.0.113.9');
    expect(clientAddressBehind('10.0.0.5', '1.2.3.4', undefined)).toBe('10.0.0.5');
  });

  it('ignores the header from an untrusted socket (a client writing it itself)', () => {
    expect(clientAddressBehind('203.0.113.9', '10.0.0.7', cluster)).toBe('203.0.113.9');
  });

  it('takes the entry a trusted follower appended, not the ones the client wrote before it', () => {
    expect(clientAddressBehind('10.0.0.5', '203.0.113.9', cluster)).toBe('203.0.113.9');
    expect(clientAddressBehind('10.0.0.5', '1.1.1.1, 6.6.6.6, 203.0.113.9', cluster)).toBe('203.0.113.9');
    // A spoofed entry naming a peer does not make the client's own entry trusted.
    expect(clientAddressBehind('10.0.0.5', '6.6.6.6, 10.0.0.9, 203.0.113.9', cluster)).toBe('203.0.113.9');
  });

  it('walks through several trusted hops (a load balancer in front of a follower, both in the list)', () => {
    expect(clientAddressBehind('10.0.0.5', '6.6.6.6, 198.51.100.4, 10.0.0.2', cluster)).toBe('198.51.100.4');
  });

  it('reads IPv4-mapped IPv6 sockets and entries as IPv4, and IPv6 peers', () => {
    expect(clientAddressBehind('::ffff:10.0.0.5', '::ffff:203.0.113.9', cluster)).toBe('203.0.113.9');
    expect(clientAddressBehind('fd00::5', '2001:db8::1', cluster)).toBe('2001:db8::1');
    expect(clientAddressBehind('::ffff:203.0.113.9', undefined, cluster)).toBe('203.0.113.9');
  });

  it('stops at the trusted hop when the entry it appended is not an address', () => {
    expect(clientAddressBehind('10.0.0.5', '203.0.113.9, garbage', cluster)).toBe('10.0.0.5');
    expect(clientAddressBehind('10.0.0.5', '', cluster)).toBe('10.0.0.5');
  });

  it('is configured by HUB_TRUSTED_PROXIES, which refuses what is not an address or network', () => {
    expect(loadConfig({ env: { HUB_TRUSTED_PROXIES: '10.0.0.0/24, 192.168.1.5' } }).trustedProxies).toBe('10.0.0.0/24, 192.168.1.5');
    expect(loadConfig({ env: {} }).trustedProxies).toBeUndefined();
    expect(() => loadConfig({ env: { HUB_TRUSTED_PROXIES: '10.0.0.0/33' } })).toThrow(/HUB_TRUSTED_PROXIES must be a comma-separated list of IP addresses or networks/);
    expect(() => loadConfig({ env: { HUB_TRUSTED_PROXIES: 'node-b.internal' } })).toThrow(/"node-b.internal" is not an IP address/);
  });
});
