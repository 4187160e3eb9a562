/** The resident's alerts (newest first, each a link to its page) and visits (issue 13 item 3). */
import type { AlertSummary, VisitRecord } from '../../api/types.js';
import { t, tValue } from '../../i18n/index.js';
import { href } from '../../router.js';
import { kindHeadline } from '../../util/alert-text.js';
import { formatDateTime } from '../../util/format.js';
import { TableCard } from '../data-table.js';

export function AlertHistory({ alerts }: { alerts: AlertSummary[] }) {
  const rows = [...alerts].sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
  return (
    <TableCard
      id="history-title"
      title={t('history.alerts')}
      field="alert-history"
      rows={rows}
      rowKey={(a) => a.id}
      rowAttrs={(a) => ({ 'data-alert-id': a.id, 'data-status': a.status })}
      empty={t('history.noAlerts')}
      columns={[
        { key: 'raised', label: t('alert.raised'), cell: (a) => <a href={href.alert(a.id)}>{formatDateTime(a.raisedAt)}</a> },
        { key: 'kind', label: t('queue.col.kind'), cell: (a) => <span class={`sev-badge sev-${a.severity}`}>{kindHeadline(a)}</span> },
        { key: 'status', label: t('queue.col.status'), cell: (a) => tValue('status', a.status) },
        { key: 'outcome', label: t('history.outcome'), cell: (a) => (a.outcome ? tValue('outcome', a.outcome) : '—') },
      ]}
    />
  );
}

export function VisitHistory({ visits }: { visits: VisitRecord[] }) {
  return (
    <TableCard
      id="visits-title"
      title={t('history.visits')}
      field="visit-history"
      rows={visits}
      rowKey={(v) => v.id}
      empty={t('history.noVisits')}
      columns={[
        { key: 'when', label: t('visits.when'), cell: (v) => formatDateTime(v.visitedAt) },
        { key: 'who', label: t('visits.who'), cell: (v) => v.visitor },
        { key: 'condition', label: t('visits.condition'), cell: (v) => tValue('visitCondition', v.condition) },
        { key: 'notes', label: t('visits.notes'), cell: (v) => v.notes ?? '—' },
      ]}
    />
  );
}
