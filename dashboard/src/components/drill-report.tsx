/**
 * One drill's report (issue 13 item 8): per drill alert, the answer, dispatch
 * and on-scene times against the drill's targets, and how many met each.
 * It follows the live alert book, so the times fill in as operators work.
 */
import { useEffect, useState } from 'preact/hooks';
import { drillsApi, type DrillReport, type DrillStep } from '../api/drills.js';
import { t, tValue } from '../i18n/index.js';
import { book, homes } from '../live/index.js';
import { href } from '../router.js';
import { formatDateTime } from '../util/format.js';
import { useAction, errorText } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';
import { ActionError } from './action-error.js';
import { DataTable } from './data-table.js';

function Step({ step }: { step: DrillStep }) {
  const verdict = step.met === null ? 'pending' : step.met ? 'met' : 'missed';
  return (
    <span class={`drill-step step-${verdict}`} data-met={verdict}>
      {step.seconds === null ? '—' : t('drills.seconds', { s: step.seconds })} <span class="muted">/ {t('drills.seconds', { s: step.targetSec })}</span>{' '}
      <span class={`tag ${verdict === 'met' ? 'tag-ok' : verdict === 'missed' ? 'tag-warn' : ''}`}>{t(`drills.verdict.${verdict}`)}</span>
    </span>
  );
}

export function DrillReportView({ id, canRun, onChanged }: { id: string; canRun: boolean; onChanged: () => void }) {
  const version = useStore(book.version);
  useStore(homes.version);
  const [report, setReport] = useState<DrillReport | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const ending = useAction();
  useEffect(() => void drillsApi.report(id).then(setReport, (err: unknown) => setLoadError(errorText(err))), [id, version]);
  if (loadError) return <ActionError error={loadError} />;
  if (!report) return <p class="loading">{t('common.loading')}</p>;
  const { drill, totals } = report;
  const end = () => ending.run(async () => {
    await drillsApi.end(drill.id);
    setReport(await drillsApi.report(drill.id));
    onChanged();
  });
  return (
    <section class="card drill-report" data-drill-id={drill.id} data-state={drill.endedAt ? 'ended' : 'running'} aria-labelledby="drill-report-title">
      <h2 id="drill-report-title">
        {t('drills.report')} — {tValue('kind', drill.kind)}
      </h2>
      <p>
        {t('drills.startedAt', { at: formatDateTime(drill.startedAt) })}
        {drill.endedAt ? ` · ${t('drills.endedAt', { at: formatDateTime(drill.endedAt) })}` : ` · ${t('drills.running')}`}
      </p>
      <ul class="drill-totals">
        {(['answer', 'dispatch', 'onScene'] as const).map((k) => (
          <li key={k} data-total={k}>
            {t(`drills.step.${k}`)}: {t('drills.metOf', { met: totals[k].met, of: totals[k].of })}
          </li>
        ))}
      </ul>
      <DataTable
        label={t('drills.report')}
        rows={report.alerts}
        rowKey={(r) => r.alertId}
        rowAttrs={(r) => ({ 'data-alert-id': r.alertId })}
        empty={t('drills.noAlerts')}
        columns={[
          { key: 'home', label: t('drills.home'), cell: (r) => <a href={href.alert(r.alertId)}>{homes.get(r.homeId)?.name ?? r.homeId}</a> },
          { key: 'status', label: t('alert.status'), cell: (r) => tValue('status', r.status) },
          { key: 'answer', label: t('drills.step.answer'), cell: (r) => <Step step={r.answer} /> },
          { key: 'dispatch', label: t('drills.step.dispatch'), cell: (r) => <Step step={r.dispatch} /> },
          { key: 'onScene', label: t('drills.step.onScene'), cell: (r) => <Step step={r.onScene} /> },
        ]}
      />
      {canRun && !drill.endedAt && (
        <button type="button" class="button" data-action="end-drill" disabled={ending.busy} onClick={() => void end()}>
          {t('drills.end')}
        </button>
      )}
      <ActionError error={ending.error} />
    </section>
  );
}
