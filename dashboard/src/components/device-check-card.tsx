/**
 * One device of a home being installed (install-home-page.tsx): its
 * commissioning checks ticking as the installer presses the test buttons, its
 * battery, signal, last message and dropped payloads, how to test it, and its
 * care (heartbeat interval; renew, revoke, replace, move).
 */
import type { DeviceChecklist, DeviceView, HomeView, ProvisionedDevice } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { checkLabel, signalWord } from '../util/commissioning.js';
import { formatAgo } from '../util/format.js';
import { BadPayloadsFact } from './bad-payloads.js';
import { DeviceActions } from './device-actions.js';
import { HeartbeatSetting } from './heartbeat-setting.js';

export function DeviceCheckCard({
  device,
  view,
  live,
  homeId,
  homes,
  now,
  onCredentials,
  onChanged,
}: {
  device: DeviceChecklist;
  /** The same device as GET /homes/{id} lists it: its bad payloads. */
  view: DeviceView | undefined;
  live: boolean;
  homeId: string;
  homes: HomeView[];
  now: number;
  onCredentials(d: ProvisionedDevice): void;
  onChanged(): void;
}) {
  const done = device.checks.filter((c) => c.done).length;
  return (
    <li class={`card device-check ${device.passed ? 'is-passed' : ''}`} data-device-id={device.deviceId} data-passed={String(device.passed)} data-kind={device.kind}>
      <div class="dc-head">
        <h3>
          {tValue('deviceKind', device.kind)} <span class="serial">{device.serial}</span>
        </h3>
        <span class={`tag ${device.passed ? 'tag-ok' : 'tag-warn'}`}>{device.passed ? t('check.passed') : t('check.progress', { done, total: device.checks.length })}</span>
      </div>
      <p class="mono muted dc-id">{device.deviceId}</p>
      <CheckList checks={device.checks} now={now} />
      <DeviceFacts device={device} view={view} now={now} />
      {!live && !device.passed && <p class="hint">{t(`check.howTo.${device.kind}` as 'check.howTo.bracelet')}</p>}
      <HeartbeatSetting deviceId={device.deviceId} />
      <DeviceActions deviceId={device.deviceId} homeId={homeId} homes={homes} onCredentials={onCredentials} onChanged={onChanged} />
    </li>
  );
}

function CheckList({ checks, now }: { checks: DeviceChecklist['checks']; now: number }) {
  return (
    <ol class="checks" aria-label={t('check.listLabel')}>
      {checks.map((c) => (
        <li key={c.id} class={c.done ? 'check-done' : 'check-todo'} data-check={c.id} data-done={String(c.done)}>
          <span class="check-mark" aria-hidden="true">
            {c.done ? '✓' : '○'}
          </span>
          <span class="check-label">{checkLabel(c.id)}</span>
          <span class="visually-hidden">{c.done ? t('check.doneSr') : t('check.todoSr')}</span>
          {c.at && <time class="muted" dateTime={c.at}>{formatAgo(c.at, now)}</time>}
        </li>
      ))}
    </ol>
  );
}

function DeviceFacts({ device, view, now }: { device: DeviceChecklist; view: DeviceView | undefined; now: number }) {
  return (
    <dl class="dc-facts">
      <div>
        <dt>{t('device.battery')}</dt>
        <dd data-field="battery">{device.battery === null ? '—' : `${device.battery}%`}</dd>
      </div>
      <div>
        <dt>{t('check.signal')}</dt>
        <dd data-field="signal">{device.rssi === null ? '—' : `${signalWord(device.rssi)} (${device.rssi} dBm)`}</dd>
      </div>
      <div>
        <dt>{t('check.lastMessage')}</dt>
        <dd data-field="lastMessage">{device.lastMessageAt ? formatAgo(device.lastMessageAt, now) : t('time.never')}</dd>
      </div>
      <BadPayloadsFact device={view} now={now} />
    </dl>
  );
}
