/** The load generator's hand-built payload strings are valid by the catalogue's own schemas. */
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../devices/catalog.js';
import { kindOfDeviceId, sosPayload, telemetryPayload } from '../simulators/load/load-payloads.js';

describe('load payloads', () => {
  for (const kind of DEVICE_KINDS) {
    it(`${kind.kind} telemetry validates, whatever the counter`, () => {
      for (let seq = 0; seq < 200; seq += 7) {
        const result = kind.telemetrySchema.safeParse(JSON.parse(telemetryPayload(kind.kind, seq, 1_764_000_000_000, 55)));
        expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
      }
    });
  }

  it('an SOS validates as a bracelet event, and device ids map back to their kind', () => {
    const bracelet = DEVICE_KINDS.find((k) => k.kind === 'bracelet')!;
    expect(bracelet.eventSchema.safeParse(JSON.parse(sosPayload(9, 1_764_000_000_000, 80))).success).toBe(true);
    for (const kind of DEVICE_KINDS) expect(kindOfDeviceId(`${kind.idPrefix}-1a2b3c4d`)).toBe(kind.kind);
    expect(kindOfDeviceId('xyz-1')).toBeUndefined();
  });
});
