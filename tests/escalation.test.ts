/**
 * SLA escalation with an injected clock: overdue at 60 s, escalated at 180 s,
 * nothing for an acknowledged alert, and timers that survive a restart with
 * the right remaining time (rebuilt from the journal, not restarted from zero).
 */
import { describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const settle = () => new Promise((r) => setTimeout(r, 30));

async function raiseSos(hub: TestHub) {
  const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const d = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
  await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  await client.endAsync();
  return (await hub.api.get('/api/v1/alerts?status=open')).body.alerts[0];
}

async function flags(hub: TestHub, id: string) {
  return (await hub.api.get(`/api/v1/alerts/${id}`)).body.flags;
}

describe('escalation', () => {
  it('flags an unacknowledged alert overdue at 60 s and pushes it again, escalates at 180 s', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const transitions: string[] = [];
    hub.hub.bus.on('alert.transition', (t) => transitions.push(t.change));
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const alert = await raiseSos(hub);

    clock.advance(59_999);
    await settle();
    expect(await flags(hub, alert.id)).toEqual({ overdue: false, escalated: false });
    clock.advance(1);
    await settle();
    expect(await flags(hub, alert.id)).toEqual({ overdue: true, escalated: false });
    const pushed = await stream.next((m) => m.type === 'alert.updated' && m.alert.flags.overdue);
    expect(pushed.alert.id).toBe(alert.id);

    clock.advance(119_999);
    await settle();
    expect((await flags(hub, alert.id)).escalated).toBe(false);
    clock.advance(1);
    await settle();
    expect(await flags(hub, alert.id)).toEqual({ overdue: true, escalated: true });
    // The bus hears a transition once its line is on disk: on a loaded machine that fsync can outlast `settle`.
    await waitFor(() => transitions.includes('escalated'), 'the escalated transition on the bus');
    expect(transitions.filter((t) => t === 'overdue' || t === 'escalated')).toEqual(['overdue', 'escalated']);
  });

  it('does not escalate an alert acknowledged in time', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const alert = await raiseSos(hub);
    clock.advance(30_000);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    clock.advance(600_000);
    await settle();
    // The bracelet went offline before help_coming reached it, so that is flagged (tests/commands.test.ts) — but not the SLA.
    // Ten minutes held without a dispatch re-alerts the holder (issue 13 item 5, tests/after-acknowledgement.test.ts).
    expect(await flags(hub, alert.id)).toEqual({ overdue: false, escalated: false, helpUnconfirmed: true, stalled: 'holder' });
  });

  it('resumes with the remaining time after a restart', async () => {
    const clock = new ManualClock();
    const first = keep(await startTestHub({ clock }), closeHub);
    const alert = await raiseSos(first);
    clock.advance(30_000);
    await first.hub.stop();

    // Restarted 30 s after the raise: overdue 30 s later, not 60 s.
    const second = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    clock.advance(29_999);
    await settle();
    expect((await flags(second, alert.id)).overdue).toBe(false);
    clock.advance(1);
    await settle();
    expect((await flags(second, alert.id)).overdue).toBe(true);
  });

  it('catches up at once when the hub was down past both deadlines', async () => {
    const clock = new ManualClock();
    const first = keep(await startTestHub({ clock }), closeHub);
    const alert = await raiseSos(first);
    await first.hub.stop();
    clock.advance(10 * 60_000);
    const second = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    clock.advance(0);
    await settle();
    expect(await flags(second, alert.id)).toEqual({ overdue: true, escalated: true });
  });
});
