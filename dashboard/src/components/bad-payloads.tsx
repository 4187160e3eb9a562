/**
 * A device's bad payloads on the installer's device card (issue 10, item 13):
 * how many messages the hub dropped because they were not JSON, had the
 * wrong shape or a bad status, and the last one's reason, detail and time —
 * so "the device does not work" can be told apart from "the device sends
 * what its firmware should not" (docs/PROTOCOL.md, "Bad payloads").
 */
import type { DeviceView } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { formatAgo } from '../util/format.js';

export function BadPayloadsFact({ device, now }: { device: Pick<DeviceView, 'badPayloads' | 'lastBadPayload'> | undefined; now: number }) {
  const count = device?.badPayloads ?? 0;
  const last = device?.lastBadPayload;
  return (
    <div class={count > 0 ? 'bad-payloads has-bad' : 'bad-payloads'}>
      <dt>{t('badPayload.title')}</dt>
      <dd data-field="badPayloads" data-count={count} title={count > 0 ? t('badPayload.hint') : undefined}>
        {count === 0 || !last ? (
          t('badPayload.none')
        ) : (
          <>
            <span class="warn-text">{t('badPayload.count', { n: count, reason: tValue('badPayload', last.reason), ago: formatAgo(last.at, now) })}</span>{' '}
            <span class="muted mono" data-field="badPayloadDetail">
              {last.detail}
            </span>
          </>
        )}
      </dd>
    </div>
  );
}
