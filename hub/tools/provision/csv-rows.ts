/**
 * Reads the bulk-install CSV (one row per home) into validated provisioning
 * requests. Every row is checked before anything is created, so a typo on
 * row 37 is reported with the physical line it is on (as an editor numbers
 * lines, counting blank lines and quoted line breaks) and nothing is half-done.
 *
 * Columns (header names, any order): home_name, address, community,
 * resident_name, birth_year, gender, phone, conditions (`;`-separated),
 * special_hardship (yes/no), medication_notes, access_notes,
 * contact1_name, contact1_relation, contact1_phone, contact1_has_keys
 * (… up to contact5_*), devices (`kind:serial;kind:serial`).
 */
import type { Info } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import { residentInputSchema, type ResidentInput } from '../../registry/records.js';

export interface HomeRow {
  line: number;
  home: { name: string; address: string; community?: string | undefined; resident: ResidentInput };
  devices: { kind: string; serial: string }[];
}

export interface RowError {
  line: number;
  message: string;
}

const yes = (v: string | undefined) => /^(y|yes|true|1|是)$/i.test(v?.trim() ?? '');
const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

const deviceList = z
  .string()
  .min(1, 'list at least one device as kind:serial')
  .transform((text, ctx) =>
    text
      .split(';')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => {
        const [kind, serial] = item.split(':').map((p) => p.trim());
        if (!kind || !serial || !DEVICE_KIND_NAMES.includes(kind)) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not kind:serial with kind one of ${DEVICE_KIND_NAMES.join(', ')}` });
          return { kind: '', serial: '' };
        }
        return { kind, serial };
      }),
  );

const homeRow = z.object({
  name: z.string().trim().min(1, 'home_name is required').max(200),
  address: z.string().trim().min(1, 'address is required').max(500),
  community: z.string().trim().max(200).optional(),
  resident: residentInputSchema,
  devices: deviceList,
});

function contactsOf(record: Record<string, string>) {
  const contacts = [];
  for (let i = 1; i <= 5; i++) {
    const name = blankToUndefined(record[`contact${i}_name`]);
    if (!name) continue;
    contacts.push({
      name,
      relation: blankToUndefined(record[`contact${i}_relation`]),
      phone: record[`contact${i}_phone`]?.trim() ?? '',
      hasKeys: yes(record[`contact${i}_has_keys`]),
    });
  }
  return contacts;
}

function toRequest(record: Record<string, string>) {
  return {
    name: record.home_name ?? '',
    address: record.address ?? '',
    community: blankToUndefined(record.community),
    resident: {
      name: record.resident_name ?? '',
      birthYear: Number(record.birth_year),
      gender: blankToUndefined(record.gender),
      phone: blankToUndefined(record.phone),
      conditions: (record.conditions ?? '').split(';').map((c) => c.trim()).filter(Boolean),
      specialHardship: yes(record.special_hardship),
      medicationNotes: blankToUndefined(record.medication_notes),
      accessNotes: blankToUndefined(record.access_notes),
      contacts: contactsOf(record),
    },
    devices: record.devices ?? '',
  };
}

/** One CSV record with the physical line it starts on (what an editor shows), not its record number. */
interface LocatedRecord {
  record: Record<string, string>;
  line: number;
}

/**
 * Parses the CSV, locating each record by csv-parse's own `info`: `lines` is
 * the physical line a record ends on and `empty_lines` the blank lines skipped
 * so far, so a record starts one line after the previous one ended plus the
 * blank lines in between — right after multi-line quoted fields and blank
 * lines, where counting records is wrong (issue 10, item 12).
 */
function locateRecords(csvText: string): LocatedRecord[] {
  // csv-parse 6.2 counts a CRLF inside a quoted field as two lines (CRLF between
  // records as one); one line ending throughout keeps its count true.
  const text = csvText.replace(/\r\n?/g, '\n');
  // The typings do not model `info: true` (records become { record, info }).
  const parsed = parse(text, { info: true, skip_empty_lines: true, trim: false, bom: true }) as unknown as { record: string[]; info: Info }[];
  const [header, ...rows] = parsed;
  if (!header) return [];
  const columns = header.record.map((h) => h.trim().toLowerCase());
  const located: LocatedRecord[] = [];
  let previous = header.info;
  for (const { record, info } of rows) {
    const line = previous.lines + 1 + (info.empty_lines - previous.empty_lines);
    located.push({ record: Object.fromEntries(columns.map((c, i) => [c, record[i] ?? ''])), line });
    previous = info;
  }
  return located;
}

/** Parses and validates every row; returns rows or every error with the physical CSV line it starts on. */
export function readHomeRows(csvText: string): { rows: HomeRow[]; errors: RowError[] } {
  let records: LocatedRecord[];
  try {
    records = locateRecords(csvText);
  } catch (err) {
    return { rows: [], errors: [{ line: (err as { lines?: number }).lines ?? 0, message: `not valid CSV: ${(err as Error).message}` }] };
  }
  const rows: HomeRow[] = [];
  const errors: RowError[] = [];
  const serials = new Map<string, number>();
  for (const { record, line } of records) {
    const parsed = homeRow.safeParse(toRequest(record));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push({ line, message: `${issue.path.join('.') || 'row'}: ${issue.message}` });
      continue;
    }
    for (const d of parsed.data.devices) {
      const key = `${d.kind}:${d.serial}`;
      const first = serials.get(key);
      if (first !== undefined) errors.push({ line, message: `device ${key} is also on line ${first}` });
      else serials.set(key, line);
    }
    const { devices, ...home } = parsed.data;
    rows.push({ line, home, devices });
  }
  return { rows, errors };
}
