/**
 * Which IP addresses a webhook may connect to (issue 10 item 6, DESIGN.md
 * §11). An installer or operator types webhook URLs; without this, a URL
 * naming 127.0.0.1, the router or a cloud metadata service (169.254.169.254)
 * would make the hub POST inside the site's own network. Loopback,
 * link-local, private, unspecified, multicast and reserved addresses are
 * refused, also when written as IPv4-mapped or NAT64 IPv6, unless listed in
 * HUB_WEBHOOK_ALLOW_PRIVATE (a site whose SMS gateway is on its LAN).
 *
 * The check is made on the address the socket connects to (see
 * http-sender.ts: a custom `lookup`), not on the name in the URL, so a name
 * that resolves to a private address, or changes to one after the URL was
 * checked (DNS rebinding), is refused too.
 */
import { BlockList, isIP } from 'node:net';
import { parseNetworkList } from '../core/network-list.js';

export { parseNetworkList };

/** Returns why a connection to `address` is refused, or undefined when it may be made. */
export type AddressGuard = (address: string) => string | undefined;

interface Range {
  label: string;
  family: 'ipv4' | 'ipv6';
  net: string;
  prefix: number;
}

const REFUSED: readonly Range[] = [
  { label: 'unspecified', family: 'ipv4', net: '0.0.0.0', prefix: 8 },
  { label: 'private', family: 'ipv4', net: '10.0.0.0', prefix: 8 },
  { label: 'private (shared, RFC 6598)', family: 'ipv4', net: '100.64.0.0', prefix: 10 },
  { label: 'loopback', family: 'ipv4', net: '127.0.0.0', prefix: 8 },
  { label: 'link-local', family: 'ipv4', net: '169.254.0.0', prefix: 16 },
  { label: 'private', family: 'ipv4', net: '172.16.0.0', prefix: 12 },
  { label: 'reserved', family: 'ipv4', net: '192.0.0.0', prefix: 24 },
  { label: 'private', family: 'ipv4', net: '192.168.0.0', prefix: 16 },
  { label: 'multicast', family: 'ipv4', net: '224.0.0.0', prefix: 4 },
  { label: 'reserved', family: 'ipv4', net: '240.0.0.0', prefix: 4 },
  { label: 'unspecified', family: 'ipv6', net: '::', prefix: 128 },
  { label: 'loopback', family: 'ipv6', net: '::1', prefix: 128 },
  { label: 'private (unique local)', family: 'ipv6', net: 'fc00::', prefix: 7 },
  { label: 'link-local', family: 'ipv6', net: 'fe80::', prefix: 10 },
  { label: 'private (site-local)', family: 'ipv6', net: 'fec0::', prefix: 10 },
  { label: 'multicast', family: 'ipv6', net: 'ff00::', prefix: 8 },
];

const refusedLists = REFUSED.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.net, range.prefix, range.family);
  return { label: range.label, list };
});

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64
 * (64:ff9b::a.b.c.d) IPv6 address: the host reaches the IPv4 one, so that is
 * the one checked. Undefined for any other address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const mapped = words.slice(0, 6).every((w, i) => w === (i === 5 ? 0xffff : 0));
  const nat64 = words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0);
  if (!mapped && !nat64) return undefined;
  const [hi, lo] = [words[6]!, words[7]!];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** The eight 16-bit words of an IPv6 address (with `::` and a dotted IPv4 tail), or undefined. */
function ipv6Words(address: string): number[] | undefined {
  const text = address.replace(/%.*$/, '').toLowerCase();
  if (isIP(text) !== 6) return undefined;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hexPart = dotted ? `${text.slice(0, dotted.index)}${((+dotted[1]! << 8) | +dotted[2]!).toString(16)}:${((+dotted[3]! << 8) | +dotted[4]!).toString(16)}` : text;
  const [head, tail] = hexPart.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const zeros = tail === undefined ? 0 : 8 - front.length - back.length;
  return [...front, ...new Array<number>(zeros).fill(0), ...back];
}

/** The guard for a parsed HUB_WEBHOOK_ALLOW_PRIVATE (unset: nothing private allowed). */
export function addressGuard(allowPrivate: string | undefined): AddressGuard {
  const parsed = parseNetworkList(allowPrivate);
  if ('problem' in parsed) throw new Error(`HUB_WEBHOOK_ALLOW_PRIVATE: ${parsed.problem}`);
  const allowed = parsed.list;
  return (raw) => {
    const address = raw.replace(/^\[|\]$/g, '');
    const inner = embeddedIpv4(address);
    const checked = inner ?? address;
    const family = isIP(checked);
    if (family === 0) return `${raw} is not an IP address`;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (allowed.check(checked, type)) return undefined;
    const hit = refusedLists.find((r) => r.list.check(checked, type));
    if (!hit) return undefined;
    const shown = inner ? `${address} (IPv4 ${inner})` : address;
    return `${shown} is a ${hit.label} address; webhooks go there only if HUB_WEBHOOK_ALLOW_PRIVATE lists it`;
  };
}
