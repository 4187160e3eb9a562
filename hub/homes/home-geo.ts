/**
 * A home's coordinates (issue 13 item 4): set or cleared by an installer or
 * admin, audited, so the console can say how far a wearer's GPS fix is from
 * home. Optional: without them the console shows the fix without a distance.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Registry } from '../registry/registry.js';
import type { HomeGeo, HomeRecord } from '../registry/records.js';

export async function setHomeGeo(registry: Registry, audit: AuditLog, homeId: string, geo: HomeGeo | undefined, actor: string): Promise<HomeRecord> {
  // updateHome refuses an unknown home (not_found) before anything is written or audited.
  const updated = await registry.updateHome(homeId, (home) => {
    const { geo: _old, ...rest } = home;
    return geo ? { ...rest, geo: { lat: geo.lat, lon: geo.lon } } : rest;
  });
  audit.record(geo ? 'home.geo_set' : 'home.geo_cleared', actor, homeId, geo ? { lat: geo.lat, lon: geo.lon } : undefined);
  return updated;
}
