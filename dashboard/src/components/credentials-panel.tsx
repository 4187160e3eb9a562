/**
 * A device's MQTT credentials, shown once right after registering, renewing
 * or replacing it (the hub never shows the secret again and keeps only its
 * hash). They live in this component's props only: never in storage, gone
 * when the installer hides them or leaves the page. The QR code carries the
 * same settings for a setup app; it is shown as an <img> of the hub's SVG so
 * nothing in it can run (CSP allows data: images).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ProvisionedDevice } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';

function svgDataUri(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function CopyValue({ label, value, name }: { label: string; value: string; name: string }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      // No clipboard (plain http on a LAN address): select the text so Ctrl+C works.
      const range = document.createRange();
      if (ref.current) range.selectNodeContents(ref.current);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
  };
  return (
    <div class="cred-row">
      <dt>{label}</dt>
      <dd>
        <code ref={ref} data-cred={name}>
          {value}
        </code>{' '}
        <button type="button" class="button-quiet" onClick={() => void copy()} aria-label={t('creds.copyThis', { what: label })}>
          {copied ? t('creds.copied') : t('creds.copy')}
        </button>
      </dd>
    </div>
  );
}

export function CredentialsPanel({ device, onDone }: { device: ProvisionedDevice; onDone(): void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The installer's attention goes here first: it is the one chance to copy the secret.
  useEffect(() => headingRef.current?.focus(), [device.id]);
  const m = device.mqtt;
  return (
    <section class="card credentials" aria-labelledby="creds-title" data-device-id={device.id} role="region">
      <h2 id="creds-title" tabIndex={-1} ref={headingRef}>
        {t('creds.title', { device: tValue('deviceKind', device.kind), serial: device.serial })}
      </h2>
      <p class="creds-warning" role="alert">
        {t('creds.once')}
      </p>
      <div class="creds-body">
        <dl class="creds">
          <CopyValue label={t('creds.deviceId')} value={device.id} name="deviceId" />
          <CopyValue label={t('creds.secret')} value={device.secret} name="secret" />
          <CopyValue label={t('creds.host')} value={`${m.host}:${m.port}`} name="host" />
          <CopyValue label={t('creds.username')} value={m.username} name="username" />
          <div class="cred-row">
            <dt>{t('creds.topics')}</dt>
            <dd class="mono">
              {m.topics.event}
              <br />
              {m.topics.telemetry}
              <br />
              {m.topics.status}
              <br />
              {m.topics.cmd}
            </dd>
          </div>
        </dl>
        <figure class="qr">
          <img src={svgDataUri(device.qrSvg)} alt={t('creds.qrAlt')} width={180} height={180} />
          <figcaption class="hint">{t('creds.qrHint')}</figcaption>
        </figure>
      </div>
      <button type="button" class="button-primary" data-action="hide-credentials" onClick={onDone}>
        {t('creds.done')}
      </button>
    </section>
  );
}
