/**
 * The organisation's webhooks (issue 13 item 2): add one, enable or disable
 * it, remove it, send a test; and the delivery log with every attempt of
 * every notification (outcome, HTTP status or error, next try). The log is
 * read again every few seconds while something is still pending, so a test
 * send is seen arriving (or failing and being retried).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi, type DeliveryView, type OrgWebhookView } from '../../api/admin.js';
import { SEVERITIES } from '../../api/enums.js';
import type { Severity } from '../../api/types.js';
import { ActionError } from '../../components/action-error.js';
import { CheckboxGroup } from '../../components/checkbox-group.js';
import { DataTable } from '../../components/data-table.js';
import { t, tValue } from '../../i18n/index.js';
import { formatDateTime } from '../../util/format.js';
import { Field, FormError, invalid, useFormAction } from '../../util/field-errors.js';
import { useAction } from '../../util/use-action.js';
import { AdminNav } from './admin-nav.js';

const POLL_MS = 2_000;

function NewWebhookForm({ onCreated }: { onCreated(): void }) {
  const empty = { name: '', url: '', secret: '', severities: ['critical', 'high'] as Severity[] };
  const [draft, setDraft] = useState(empty);
  const { busy, errors, run } = useFormAction((p) => ['name', 'url', 'secret', 'severities'].includes(p));
  const set = (k: 'name' | 'url' | 'secret') => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await adminApi.createWebhook(draft);
      setDraft(empty);
      onCreated();
    });
  };
  return (
    <form class="card" onSubmit={submit} noValidate data-form="new-webhook">
      <h2>{t('hooks.new')}</h2>
      <div class="form-grid">
        <Field label={t('hooks.name')} path="name" errors={errors}>
          <input name="name" value={draft.name} onInput={set('name')} {...invalid(errors, 'name')} />
        </Field>
        <Field label={t('hooks.url')} path="url" errors={errors} class="wide" hint={t('hooks.urlHint')}>
          <input name="url" type="url" value={draft.url} onInput={set('url')} {...invalid(errors, 'url')} />
        </Field>
        <Field label={t('hooks.secret')} path="secret" errors={errors} hint={t('hooks.secretHint')}>
          <input name="secret" type="password" autocomplete="off" value={draft.secret} onInput={set('secret')} {...invalid(errors, 'secret')} />
        </Field>
      </div>
      <CheckboxGroup legend={t('hooks.severities')} name="severities" options={SEVERITIES} label={(s) => tValue('severity', s)} checked={draft.severities} onChange={(severities) => setDraft({ ...draft, severities })} />
      <button type="submit" class="button-primary" data-action="create-webhook" disabled={busy}>
        {t('hooks.create')}
      </button>
      <FormError errors={errors} />
    </form>
  );
}

function attemptText(a: DeliveryView['attempts'][number]): string {
  const result = a.statusCode !== undefined ? `HTTP ${a.statusCode}` : (a.error ?? '');
  return `#${a.attempt} ${formatDateTime(a.at)} · ${tValue('attempt', a.outcome)}${result ? ` · ${result}` : ''}`;
}

function DeliveryLog({ deliveries }: { deliveries: DeliveryView[] }) {
  return (
    <DataTable
      label={t('hooks.log')}
      class="deliveries"
      rows={deliveries}
      rowKey={(d) => d.deliveryId}
      rowAttrs={(d) => ({ 'data-delivery': d.deliveryId, 'data-status': d.status, 'data-event': d.event })}
      empty={t('hooks.logEmpty')}
      columns={[
        { key: 'when', label: t('hooks.col.when'), cell: (d) => formatDateTime(d.createdAt) },
        { key: 'event', label: t('hooks.col.event'), cell: (d) => tValue('notifyEvent', d.event) },
        { key: 'target', label: t('hooks.col.target'), cell: (d) => (d.contact ? `${d.target.name} → ${d.contact.name}` : d.target.name) },
        { key: 'status', label: t('hooks.col.status'), cell: (d) => <span class={`tag delivery-${d.status}`}>{tValue('delivery', d.status)}</span> },
        {
          key: 'attempts',
          label: t('hooks.col.attempts'),
          cell: (d) =>
            d.attempts.length === 0 ? (
              <span class="muted">{d.nextAttemptAt ? t('hooks.nextAt', { at: formatDateTime(d.nextAttemptAt) }) : '—'}</span>
            ) : (
              <ol class="attempts">
                {d.attempts.map((a) => (
                  <li key={a.attempt} data-outcome={a.outcome}>
                    {attemptText(a)}
                  </li>
                ))}
              </ol>
            ),
        },
      ]}
    />
  );
}

/** The webhooks and the delivery log, read again every few seconds while a delivery is pending. */
function useWebhooks() {
  const [hooks, setHooks] = useState<OrgWebhookView[] | undefined>();
  const [deliveries, setDeliveries] = useState<DeliveryView[]>([]);
  const load = useCallback(async () => {
    const [h, d] = await Promise.all([adminApi.webhooks(), adminApi.deliveries()]);
    setHooks(h);
    setDeliveries(d);
  }, []);
  useEffect(() => void load().catch(() => setHooks([])), [load]);
  const pending = deliveries.some((d) => d.status === 'pending');
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => void load().catch(() => undefined), POLL_MS);
    return () => clearInterval(timer);
  }, [pending, load]);
  return { hooks, deliveries, load };
}

export function WebhooksPage() {
  const { hooks, deliveries, load } = useWebhooks();
  const [tested, setTested] = useState<string | undefined>();
  const action = useAction();

  const act = (work: () => Promise<unknown>) => void action.run(async () => {
    await work();
    await load();
  });
  return (
    <section class="admin-page" data-page="admin-webhooks" aria-labelledby="hooks-title">
      <AdminNav current="adminWebhooks" />
      <h1 id="hooks-title">{t('hooks.title')}</h1>
      <p class="hint">{t('hooks.intro')}</p>
      <ActionError error={action.error} />
      {tested && (
        <p class="ok-text" role="status">
          {t('hooks.testQueued', { name: tested })}
        </p>
      )}
      {hooks === undefined ? <p class="loading">{t('common.loading')}</p> : <WebhookTable hooks={hooks} busy={action.busy} act={act} onTested={setTested} />}
      <NewWebhookForm onCreated={() => void load()} />
      <section class="card" aria-labelledby="log-title">
        <div class="card-head">
          <h2 id="log-title">{t('hooks.log')}</h2>
          <button type="button" class="button-quiet" data-action="refresh-log" onClick={() => void load()}>
            {t('hooks.refresh')}
          </button>
        </div>
        <DeliveryLog deliveries={deliveries} />
      </section>
    </section>
  );
}

/** The webhooks with their test, enable/disable and delete buttons; `act` runs one and reloads. */
function WebhookTable({ hooks, busy, act, onTested }: { hooks: OrgWebhookView[]; busy: boolean; act(work: () => Promise<unknown>): void; onTested(name: string): void }) {
  return (
    <DataTable
      label={t('hooks.title')}
      class="webhooks"
      rows={hooks}
      rowKey={(h) => h.id}
      rowAttrs={(h) => ({ 'data-webhook': h.name, 'data-enabled': String(h.enabled) })}
      empty={t('hooks.none')}
      columns={[
        { key: 'name', label: t('hooks.name'), cell: (h) => h.name },
        { key: 'url', label: t('hooks.url'), cell: (h) => <span class="mono">{h.url}</span> },
        { key: 'severities', label: t('hooks.severities'), cell: (h) => h.severities.map((s) => tValue('severity', s)).join(', ') },
        { key: 'enabled', label: t('hooks.enabled'), cell: (h) => (h.enabled ? t('hooks.on') : <span class="tag tag-warn">{t('hooks.off')}</span>) },
        {
          key: 'actions',
          label: t('users.actions'),
          cell: (h) => (
            <div class="row-buttons">
              <button
                type="button"
                data-action="test-webhook"
                disabled={busy || !h.enabled}
                onClick={() =>
                  act(async () => {
                    await adminApi.testWebhook(h.id);
                    onTested(h.name);
                  })
                }
              >
                {t('hooks.test')}
              </button>
              <button type="button" class="button-quiet" data-action="toggle-webhook" disabled={busy} onClick={() => act(() => adminApi.setWebhookEnabled(h.id, !h.enabled))}>
                {t(h.enabled ? 'hooks.disable' : 'hooks.enable')}
              </button>
              <button type="button" class="button-quiet" data-action="delete-webhook" disabled={busy} onClick={() => confirm(t('hooks.confirmDelete', { name: h.name })) && act(() => adminApi.deleteWebhook(h.id))}>
                {t('hooks.delete')}
              </button>
            </div>
          ),
        },
      ]}
    />
  );
}
