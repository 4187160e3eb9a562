/**
 * Drills (应急演练, issue 13 item 8): a supervisor starts a drill for one live
 * home or a whole community (the homes' `community`, as in the visit
 * reports), sees every drill, and reads a drill's report. Drill alerts then
 * reach the operators' queue like any alert, marked DRILL.
 */
import { useEffect, useState } from 'preact/hooks';
import { drillsApi, type DrillKind, type DrillRecord } from '../api/drills.js';
import type { User } from '../api/types.js';
import { ActionError } from '../components/action-error.js';
import { DataTable } from '../components/data-table.js';
import { DrillReportView } from '../components/drill-report.js';
import { t, tValue } from '../i18n/index.js';
import { homes } from '../live/index.js';
import { href } from '../router.js';
import { formatDateTime } from '../util/format.js';
import { errorText, useAction } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';

const KINDS: readonly DrillKind[] = ['sos', 'fall', 'smoke', 'gas'];

function StartDrillForm({ onStarted }: { onStarted: (drill: DrillRecord) => void }) {
  useStore(homes.version);
  const live = homes.all().filter((h) => h.status === 'live');
  const communities = [...new Set(live.map((h) => h.community).filter((c): c is string => Boolean(c)))].sort();
  const [kind, setKind] = useState<DrillKind>('sos');
  const [scope, setScope] = useState<'home' | 'community'>('home');
  const [target, setTarget] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => onStarted(await drillsApi.start(scope === 'home' ? { kind, homeId: target } : { kind, community: target })));
  };
  const options = scope === 'home' ? live.map((h) => ({ value: h.id, label: `${h.name} · ${h.address}` })) : communities.map((c) => ({ value: c, label: c }));
  return (
    <form class="card drill-start" onSubmit={submit} aria-labelledby="drill-start-title">
      <h2 id="drill-start-title">{t('drills.start')}</h2>
      <p class="hint">{t('drills.startHint')}</p>
      <label>
        {t('drills.kind')}
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as DrillKind)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {tValue('kind', k)}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>{t('drills.scope')}</legend>
        {(['home', 'community'] as const).map((s) => (
          <label key={s} class="inline">
            <input type="radio" name="scope" value={s} checked={scope === s} onChange={() => (setScope(s), setTarget(''))} /> {t(`drills.scope.${s}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t(scope === 'home' ? 'drills.home' : 'drills.community')}
        <select name="target" required value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="">{t('drills.choose')}</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="button-primary" data-action="start-drill" disabled={action.busy || !target}>
        {t('drills.startButton')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}

function scopeText(drill: DrillRecord): string {
  return 'community' in drill.scope ? t('drills.scopeCommunity', { name: drill.scope.community }) : (homes.get(drill.scope.homeId)?.name ?? drill.scope.homeId);
}

export function DrillsPage({ user, id }: { user: User; id: string | undefined }) {
  useStore(homes.version);
  const [drills, setDrills] = useState<DrillRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = () => void drillsApi.list().then(setDrills, (err: unknown) => setError(errorText(err)));
  useEffect(load, []);
  const canRun = user.role === 'supervisor';
  const started = (drill: DrillRecord) => {
    load();
    location.hash = href.drill(drill.id);
  };
  return (
    <section class="drills-page" data-page="drills" aria-labelledby="drills-title">
      <h1 id="drills-title">{t('drills.title')}</h1>
      <p class="hint">{t('drills.intro')}</p>
      {canRun && <StartDrillForm onStarted={started} />}
      {id && <DrillReportView key={id} id={id} canRun={canRun} onChanged={load} />}
      <section class="card" aria-labelledby="drills-list-title">
        <h2 id="drills-list-title">{t('drills.list')}</h2>
        <ActionError error={error} />
        {drills && (
          <DataTable
            label={t('drills.list')}
            class="drills"
            rows={drills}
            rowKey={(d) => d.id}
            rowAttrs={(d) => ({ 'data-drill-id': d.id, 'data-state': d.endedAt ? 'ended' : 'running' })}
            empty={t('drills.none')}
            columns={[
              { key: 'startedAt', label: t('drills.started'), cell: (d) => <a href={href.drill(d.id)}>{formatDateTime(d.startedAt)}</a> },
              { key: 'kind', label: t('drills.kind'), cell: (d) => tValue('kind', d.kind) },
              { key: 'scope', label: t('drills.scope'), cell: scopeText },
              { key: 'homes', label: t('drills.homes'), cell: (d) => d.homeIds.length },
              { key: 'state', label: t('alert.status'), cell: (d) => (d.endedAt ? t('drills.ended') : t('drills.running')) },
            ]}
          />
        )}
      </section>
    </section>
  );
}
