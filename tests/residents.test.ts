/** A resident's profile over the API: read per role, edited field by field, audited without the values. */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

describe('resident profile', () => {
  it('is edited field by field, validated, and audited by field name only', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId } = await hub.provisionHome({ kinds: ['bracelet'] });
    const residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id;

    const res = await hub.api.request('PATCH', `/api/v1/residents/${residentId}/profile`, {
      medicationNotes: 'warfarin 3 mg at 8:00',
      accessNotes: 'key safe left of the door, code from the operator',
      contacts: [
        { name: 'Wang Jun', relation: 'son', phone: '+86 138 0000 0001', hasKeys: true },
        { name: 'Neighbour Liu', phone: '028 8888 0000' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Wang Lan', medicationNotes: 'warfarin 3 mg at 8:00', contacts: [{ name: 'Wang Jun' }, { name: 'Neighbour Liu', hasKeys: false }] });
    const entry = hub.hub.audit.recent().find((e) => e.action === 'resident.profile_updated');
    expect(entry?.detail).toEqual({ fields: ['medicationNotes', 'accessNotes', 'contacts'] });
    expect(JSON.stringify(hub.hub.audit.recent())).not.toContain('warfarin');

    const bad = await hub.api.request('PATCH', `/api/v1/residents/${residentId}/profile`, { contacts: [{ name: 'X', phone: 'call me' }], specialHardship: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/contacts\.0\.phone|specialHardship/);
    expect((await hub.api.get(`/api/v1/residents/${residentId}`)).body.contacts).toHaveLength(2);
  });

  it('shows installers no medical notes and family only their own relative', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const mine = await hub.provisionHome({ kinds: ['bracelet'], conditions: ['dementia'] });
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    const residentOf = async (homeId: string) => (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id as string;
    for (const [username, role, homeIds] of [['fitter', 'installer', []], ['son', 'family', [mine.homeId]]] as const) {
      await hub.hub.registry.createUser({ username, role, passwordHash: await hashPassword('password-123'), homeIds: [...homeIds] });
    }
    const installer = new ApiClient(hub.httpUrl);
    await installer.login('fitter', 'password-123');
    const seen = (await installer.get(`/api/v1/residents/${await residentOf(mine.homeId)}`)).body;
    expect(seen.name).toBe('Wang Lan');
    expect(seen.conditions).toBeUndefined();
    const family = new ApiClient(hub.httpUrl);
    await family.login('son', 'password-123');
    expect((await family.get(`/api/v1/residents/${await residentOf(mine.homeId)}`)).body.conditions).toEqual(['dementia']);
    expect((await family.get(`/api/v1/residents/${await residentOf(other.homeId)}`)).status).toBe(404);
    expect((await family.request('PATCH', `/api/v1/residents/${await residentOf(mine.homeId)}/profile`, { name: 'x' })).status).toBe(403);
  });
});
