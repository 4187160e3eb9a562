/** The machine limits that cap how many devices one process can hold, read before a run so a shortfall is explained, not mysterious. */
import { readFileSync } from 'node:fs';

export interface MachineLimits {
  /** Soft and hard `ulimit -n` of this process (children inherit them). */
  openFilesSoft: number;
  openFilesHard: number;
  /** Ephemeral ports per (source address, listener): the local port range's size. */
  ephemeralPorts: number;
}

export function machineLimits(): MachineLimits {
  const limits = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\S+)\s+(\S+)/m);
  const num = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return { openFilesSoft: num(limits?.[1]), openFilesHard: num(limits?.[2]), ephemeralPorts: (high ?? 0) - (low ?? 0) + 1 };
}

/** What stands between this run and its device count, one line each; empty if nothing does. */
export function limitWarnings(devices: number, limits: MachineLimits): string[] {
  const out: string[] = [];
  // The broker holds one descriptor per device plus its listeners, journal and registry files.
  if (devices > limits.openFilesSoft - 200) {
    out.push(
      `${devices} devices need more than ulimit -n ${limits.openFilesSoft} descriptors in the broker process (hard limit ${limits.openFilesHard}); ` +
        `raise it (ulimit -n ${devices + 1000}, needs CAP_SYS_RESOURCE above the hard limit) or expect ~${limits.openFilesSoft - 200} connections at most`,
    );
  }
  if (devices > limits.ephemeralPorts) out.push(`${devices} devices exceed the ${limits.ephemeralPorts} ephemeral ports of one source address: the generator spreads them over 127.0.0.x`);
  return out;
}
