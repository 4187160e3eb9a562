/**
 * Alert severities (DESIGN.md §4), a vocabulary shared by the alert model and
 * the records that refer to it (a contact's notify preferences), so the
 * registry does not import the alert layer above it (issue 11 §1, layering).
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
