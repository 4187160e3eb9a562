/**
 * Parses a comma-separated list of IP addresses and networks (CIDR) into a
 * node:net BlockList. Pure and low in the layers so that the settings table
 * can validate HUB_WEBHOOK_ALLOW_PRIVATE at start without importing the
 * notifier that uses it (issue 11 §1, layering).
 */
import { BlockList, isIP } from 'node:net';

/** `10.1.2.3`, `192.168.5.0/24`, `fd00::/8`: the networks HUB_WEBHOOK_ALLOW_PRIVATE lets webhooks reach. */
export function parseNetworkList(text: string | undefined): { list: BlockList; entries: string[] } | { problem: string } {
  const list = new BlockList();
  const entries = (text ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [net = '', prefixText, extra] = entry.split('/');
    const family = isIP(net);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
      return { problem: `"${entry}" is not an IP address or a network such as 192.168.5.0/24 or fd00::/8` };
    }
    list.addSubnet(net, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list, entries };
}
