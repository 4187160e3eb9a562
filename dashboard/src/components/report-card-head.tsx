/** A report card's heading with the link to its table as CSV (the hub's, same period). */
import { API } from '../api/http.js';
import type { ReportSummary, ReportTableName } from '../api/types.js';
import { t } from '../i18n/index.js';

export function CsvLink({ table, summary }: { table: ReportTableName; summary: ReportSummary }) {
  const q = new URLSearchParams({ from: summary.period.from, to: summary.period.to });
  return (
    <a class="csv-link" href={`${API}/reports/${table}.csv?${q.toString()}`} download data-table={table}>
      {t('reports.csv', { table })}
    </a>
  );
}

export function CardHead({ id, title, table, summary }: { id: string; title: string; table?: ReportTableName; summary: ReportSummary }) {
  return (
    <div class="card-head">
      <h2 id={id}>{title}</h2>
      {table && <CsvLink table={table} summary={summary} />}
    </div>
  );
}

