/**
 * Issue 3: for each critical rule, a simulated device sends the real event
 * over MQTT and the alert appears on an operator's WebSocket.
 */
import { describe, expect, it } from 'vitest';
import { findDeviceKind } from '../devices/catalog.js';
import { SimulatedDevice } from '../simulators/simulated-device.js';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

interface Case {
  name: string;
  kind: string;
  alertKind: string;
  send(device: SimulatedDevice): Promise<unknown>;
}

const CASES: Case[] = [
  { name: 'SOS button', kind: 'bracelet', alertKind: 'sos', send: (d) => d.sendEvent('sos') },
  { name: 'fall', kind: 'bracelet', alertKind: 'fall', send: (d) => d.sendEvent('fall', { confidence: 0.93 }) },
  { name: 'smoke', kind: 'smoke_sensor', alertKind: 'smoke', send: (d) => d.sendEvent('smoke') },
  { name: 'gas event', kind: 'gas_alarm', alertKind: 'gas', send: (d) => d.sendEvent('gas', { lel: 24, gas: 'natural_gas' }) },
  { name: 'gas reading at 20 % LEL', kind: 'gas_alarm', alertKind: 'gas', send: (d) => d.sendTelemetry({ lel: 20 }, { qos: 1 }) },
  { name: 'heart rate 0 while worn', kind: 'bracelet', alertKind: 'heart_rate', send: (d) => d.sendTelemetry({ heartRate: 0, worn: true }, { qos: 1 }) },
];

describe('critical rules end to end over MQTT', () => {
  for (const c of CASES) {
    it(`${c.name} → a critical ${c.alertKind} alert on the operator stream`, async () => {
      const hub = keep(await startTestHub(), closeHub);
      const { homeId, devices } = await hub.provisionHome({ kinds: [c.kind] });
      const p = devices[0]!;
      const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
      await stream.next((m) => m.type === 'snapshot');
      const device = keep(
        new SimulatedDevice({ url: hub.mqttUrl, deviceId: p.id, secret: p.secret, kind: findDeviceKind(c.kind)!, heartbeats: false, reconnectPeriodMs: 0 }),
        (d) => d.stop(),
      );
      device.start();
      await device.waitForConnect();
      await c.send(device);
      const raised = await stream.next((m) => m.type === 'alert.raised', 2_000);
      expect(raised.alert).toMatchObject({ homeId, deviceId: p.id, kind: c.alertKind, severity: 'critical', status: 'open' });
    });
  }
});
