/**
 * Orders strings by their UTF-16 code units, as `<` does. For ISO-8601
 * timestamps and generated ids that is their natural order; localeCompare
 * gives the same order for them but loads ICU's collation data on first use
 * (~2.7 MB resident) and costs microseconds a comparison (issue 14, memory
 * third pass: the registry sorts every resident at start).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
