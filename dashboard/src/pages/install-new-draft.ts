/**
 * The new-home form's draft (install-new-page.tsx): what the installer has
 * typed, the empty form, the request body the hub takes, and the field paths
 * of the hub's 400 that the form shows next to a field.
 */

export interface ContactDraft {
  name: string;
  relation: string;
  phone: string;
  hasKeys: boolean;
}

export interface Draft {
  name: string;
  address: string;
  community: string;
  resident: {
    name: string;
    birthYear: string;
    gender: string;
    phone: string;
    conditions: string[];
    medicationNotes: string;
    accessNotes: string;
    specialHardship: boolean;
  };
  contacts: ContactDraft[];
}

export const emptyContact = (): ContactDraft => ({ name: '', relation: '', phone: '', hasKeys: false });

export const EMPTY: Draft = {
  name: '',
  address: '',
  community: '',
  resident: { name: '', birthYear: '', gender: '', phone: '', conditions: [], medicationNotes: '', accessNotes: '', specialHardship: false },
  contacts: [emptyContact()],
};

const opt = (s: string) => (s.trim() ? s.trim() : undefined);

/** The request body: empty optional fields left out, contacts nobody filled in dropped. */
export function body(d: Draft) {
  const contacts = d.contacts.filter((c) => c.name.trim() || c.phone.trim() || c.relation.trim());
  return {
    name: d.name,
    address: d.address,
    community: opt(d.community),
    resident: {
      name: d.resident.name,
      birthYear: d.resident.birthYear.trim() ? Number(d.resident.birthYear) : undefined,
      gender: opt(d.resident.gender),
      phone: opt(d.resident.phone),
      conditions: d.resident.conditions,
      medicationNotes: opt(d.resident.medicationNotes),
      accessNotes: opt(d.resident.accessNotes),
      specialHardship: d.resident.specialHardship,
      contacts: contacts.map((c) => ({ name: c.name, relation: opt(c.relation), phone: c.phone, hasKeys: c.hasKeys })),
    },
  };
}

export const FIELD = /^(name|address|community|resident\.(name|birthYear|gender|phone|conditions|medicationNotes|accessNotes)|resident\.contacts(\.\d+\.(name|relation|phone))?)$/;
