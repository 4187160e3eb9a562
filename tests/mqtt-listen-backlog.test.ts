/**
 * The MQTT listener asks the kernel for the longest accept queue it will
 * give (issue 14 item 4). Node accepts one connection per event-loop turn,
 * so in a reconnect storm the waiting connections queue in the kernel; with
 * Node's default of 511 (or a fixed 4,096) the queue overflows, the kernel
 * drops handshakes and those devices come back only after their SYN is
 * retried 1 s, then 3 s later (docs/PERFORMANCE.md). The kernel caps the
 * request at net.core.somaxconn, which `ss` shows as the listener's Send-Q.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useOneDeviceBroker } from './helpers/one-device-broker.js';

const harness = useOneDeviceBroker('brc-backlog');

describe('MQTT listen backlog', () => {
  it("is the kernel's maximum (net.core.somaxconn), not Node's default of 511", async () => {
    const address = await harness.start({ onDeviceMessage: () => undefined });
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    const listening = execFileSync('ss', ['-ltnH', `sport = :${address.port}`], { encoding: 'utf8' }).trim();
    // State, Recv-Q, Send-Q (the backlog), local address, peer address.
    const backlog = Number(listening.split(/\s+/)[2]);
    expect(somaxconn).toBeGreaterThan(511);
    expect(backlog).toBe(Math.min(somaxconn, 65_535));
  });
});
