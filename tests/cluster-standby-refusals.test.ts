/**
 * DESIGN.md §11, "no input may kill the process", on a cluster standby. The
 * broker audits what it refuses (a wrong password, a bad packet), and the
 * audit goes into the journal — which only the leader holds. A standby's
 * append threw, so one CONNECT with a wrong secret, from anybody, ended the
 * standby with exit 70 (found by a flaky cluster test whose device reached
 * the standby before the registry change feed had). Real processes: the
 * refusal must leave the standby serving, and logged.
 */
import { connect } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startCluster } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';

const bed = useClusterTestbed('hub_standby_refusals', 3_000);

/** One CONNECT with the given credentials; resolves with the CONNACK's return code (0 = accepted). */
function connackCode(mqttUrl: string, username: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = connect(mqttUrl, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.on('connect', () => {
      client.end(true);
      resolve(0);
    });
    client.on('error', (err: Error & { code?: number }) => {
      client.end(true);
      if (typeof err.code === 'number') resolve(err.code);
      else reject(err);
    });
  });
}

describe('a cluster standby refusing a device', () => {
  it('refuses a wrong secret with CONNACK 4 or 5, logs it, and keeps serving (it used to exit 70)', async () => {
    const [, b] = await startCluster(['node-a', 'node-b'], bed.options());
    const code = await connackCode(b!.mqttUrl, 'brc-00000000', 'not-the-secret');
    expect([4, 5]).toContain(code);
    // The refusal is logged on the standby, as the audit trail's stand-in there.
    await expect.poll(() => b!.proc.stdout() + b!.proc.stderr(), { timeout: 10_000 }).toMatch(/audit on a standby: logged here, not journaled/);
    // Still alive and serving: a second attempt is refused the same way, and /health answers.
    expect(await connackCode(b!.mqttUrl, 'brc-00000001', 'not-the-secret-either')).toBe(code);
    expect(b!.proc.child.exitCode).toBeNull();
    const health = await fetch(`${b!.httpUrl}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ role: 'standby' });
  }, 90_000);
});
