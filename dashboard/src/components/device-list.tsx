/** Every device of the home: online or not, battery, last seen — live from the stream. */
import type { DeviceView, HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { book } from '../live/index.js';
import { formatAgo } from '../util/format.js';
import { useStore } from '../util/use-store.js';
import { useNow } from '../util/ticker.js';

export function OnlineDot({ online }: { online: boolean | null }) {
  const state = online === null ? 'unknown' : online ? 'online' : 'offline';
  return <span class={`dot dot-${state}`}>{t(`device.${state}`)}</span>;
}

export function BatteryText({ battery }: { battery: number | null | undefined }) {
  if (battery === null || battery === undefined) return <span class="muted">—</span>;
  return <span class={battery <= 20 ? 'battery-low' : undefined}>{battery}%</span>;
}

/** The device as the home's GET listed it, with the stream's newer state on top. */
function live(device: DeviceView): DeviceView {
  const state = book.device(device.id);
  if (!state) return device;
  const lastSeen = state.lastSeen ? new Date(state.lastSeen).toISOString() : device.lastSeen;
  return { ...device, online: state.online ?? device.online, lastSeen: lastSeen && device.lastSeen && device.lastSeen > lastSeen ? device.lastSeen : lastSeen, battery: state.battery ?? device.battery };
}

export function DeviceList({ home }: { home: HomeDetail | undefined }) {
  useStore(book.version);
  const now = useNow();
  if (!home) return null;
  const devices = home.devices.filter((d) => !d.revokedAt).map(live);
  return (
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">{t('device.title')}</h2>
      {devices.length === 0 ? (
        <p class="muted">{t('device.none')}</p>
      ) : (
        <table class="devices">
          <thead>
            <tr>
              <th scope="col">{t('device.kind')}</th>
              <th scope="col">{t('device.state')}</th>
              <th scope="col">{t('device.battery')}</th>
              <th scope="col">{t('device.lastSeen')}</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.id} data-device-id={d.id}>
                <td>
                  {tValue('deviceKind', d.kind)}
                  <span class="serial">{d.serial}</span>
                </td>
                <td>
                  <OnlineDot online={d.online} />
                </td>
                <td>
                  <BatteryText battery={d.battery} />
                </td>
                <td>{formatAgo(d.lastSeen, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
