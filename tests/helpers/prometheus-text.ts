/** Reads series out of a /metrics answer (the Prometheus text format), for tests. */

/** The value of one series, its labels given in any order (others may be present); undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(l);
    return m?.[1] === name && wanted.every((w) => (m[2] ?? '').split(',').includes(w));
  });
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
