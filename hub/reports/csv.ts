/**
 * CSV for spreadsheets (RFC 4180): comma-separated, CRLF line ends, a header
 * row, and a field quoted (with inner quotes doubled) when it holds a quote,
 * comma, CR or LF. Text cells that a spreadsheet would run as a formula — a
 * leading `=`, `+`, `-`, `@`, tab or CR (OWASP "CSV injection") — get a
 * leading apostrophe, so a resident named `=HYPERLINK(…)` stays text.
 * Numbers are written as numbers and never prefixed. The file starts with a
 * UTF-8 byte-order mark so Excel shows Chinese names correctly.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
export const UTF8_BOM = '\uFEFF';

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  return `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
}
