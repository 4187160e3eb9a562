/**
 * One table for the admin and resident pages (issue 13: "where the same
 * markup repeats, make one component"): column heads with `scope`, one row per
 * item carrying `data-*` attributes for tests and styles, and a line in place
 * of an empty table.
 */
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  cell(row: T): ComponentChildren;
  /** Also the cell's `data-col`, so a test or a style can find one column. */
  key: string;
}

export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowAttrs,
  empty,
  class: cls,
}: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  rowAttrs?(row: T): Record<string, string | undefined>;
  empty: string;
  class?: string;
}) {
  if (rows.length === 0) return <p class="muted table-empty">{empty}</p>;
  return (
    <div class="table-wrap">
      <table class={`data-table${cls ? ` ${cls}` : ''}`} aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...(rowAttrs?.(row) ?? {})}>
              {columns.map((c) => (
                <td key={c.key} data-col={c.key}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A card with a heading and its table: the heading names the table for screen readers too. */
export function TableCard<T>({ id, title, field, ...table }: { id: string; title: string; field: string } & Omit<Parameters<typeof DataTable<T>>[0], 'label'>) {
  return (
    <section class="card" aria-labelledby={id} data-field={field}>
      <h2 id={id}>{title}</h2>
      <DataTable<T> {...table} label={title} />
    </section>
  );
}
