/**
 * Backup and retention status (issue 13 item 2, DESIGN.md §1 "admin:
 * retention, backups"): the newest backup under HUB_BACKUP_DIR and its age
 * (overdue past 26 h), and what the hub keeps — the journal's months and
 * alerts (never deleted: the audit trail), the delivery log's months. How to
 * back up and restore is in docs/DEPLOY.md; the page says the command.
 */
import { useEffect, useState } from 'preact/hooks';
import { adminApi, type DataStatus } from '../../api/admin.js';
import { ActionError } from '../../components/action-error.js';
import { DataTable } from '../../components/data-table.js';
import { t } from '../../i18n/index.js';
import { formatDateTime, formatMonth } from '../../util/format.js';
import { errorText } from '../../util/use-action.js';
import { AdminNav } from './admin-nav.js';

type MonthFile = NonNullable<DataStatus['retention']['journal']['months']>[number];

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function Months({ label, months }: { label: string; months: MonthFile[] }) {
  return (
    <DataTable
      label={label}
      class="months"
      rows={months}
      rowKey={(m) => m.month}
      empty={t('data.noFiles')}
      columns={[
        { key: 'month', label: t('data.month'), cell: (m) => formatMonth(m.month) },
        { key: 'bytes', label: t('data.size'), cell: (m) => formatBytes(m.bytes) },
      ]}
    />
  );
}

function Backup({ backup }: { backup: DataStatus['backup'] }) {
  const latest = backup.latest;
  return (
    <section class={`card backup-status ${backup.overdue ? 'is-attention' : 'is-ok'}`} data-overdue={String(backup.overdue)} aria-labelledby="backup-title">
      <h2 id="backup-title">{t('data.backup')}</h2>
      <p class={backup.overdue ? 'error' : 'ok-text'} data-field="backup-verdict">
        {backup.dir === null
          ? t('data.noBackupDir')
          : latest === null
            ? t('data.noBackup', { dir: backup.dir })
            : t(backup.overdue ? 'data.backupOverdue' : 'data.backupOk', { hours: latest.ageHours, max: backup.maxAgeHours })}
      </p>
      {backup.problem && <p class="error">{backup.problem}</p>}
      {latest && (
        <dl class="resident-facts" data-field="latest-backup">
          <dt>{t('data.latest')}</dt>
          <dd class="mono">{latest.name}</dd>
          <dt>{t('data.madeAt')}</dt>
          <dd>{formatDateTime(latest.createdAt)}</dd>
          <dt>{t('data.contents')}</dt>
          <dd>{t('data.contentsValue', { files: latest.files, size: formatBytes(latest.bytes), lines: latest.journalLines })}</dd>
          <dt>{t('data.count')}</dt>
          <dd>{backup.count}</dd>
        </dl>
      )}
      <p class="hint">
        {t('data.howTo')} <code>npm run backup -- --out {backup.dir ?? '<HUB_BACKUP_DIR>'}/hub-$(date +%F)</code>
      </p>
    </section>
  );
}

export function DataStatusPage() {
  const [status, setStatus] = useState<DataStatus | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => void adminApi.dataStatus().then(setStatus, (err: unknown) => setError(errorText(err))), []);
  const journal = status?.retention.journal;
  return (
    <section class="admin-page" data-page="admin-data" aria-labelledby="data-title">
      <AdminNav current="adminData" />
      <h1 id="data-title">{t('data.title')}</h1>
      <ActionError error={error} />
      {!status || !journal ? (
        !error && <p class="loading">{t('common.loading')}</p>
      ) : (
        <div class="report-grid">
          <Backup backup={status.backup} />
          <section class="card" aria-labelledby="retention-title" data-field="retention">
            <h2 id="retention-title">{t('data.retention')}</h2>
            <p>{t('data.journalKept', { n: journal.alerts, since: journal.oldestAlertAt ? formatDateTime(journal.oldestAlertAt) : '—' })}</p>
            <p class="hint">{t('data.journalPolicy')}</p>
            {journal.months ? <Months label={t('data.journalMonths')} months={journal.months} /> : <p class="muted">{t('data.inDatabase')}</p>}
            <h3>{t('data.deliveries')}</h3>
            <p class="hint">{t('data.deliveriesPolicy')}</p>
            <Months label={t('data.deliveries')} months={status.retention.deliveries.months} />
            <h3>{t('data.other')}</h3>
            <p class="hint">{t('data.otherPolicy')}</p>
            <p class="muted">{t('data.checkedAt', { at: formatDateTime(status.checkedAt) })}</p>
          </section>
        </div>
      )}
    </section>
  );
}
