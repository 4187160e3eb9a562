/** Memory and CPU of a process from /proc (Linux), for the hub and the baselines alike. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Resident set size in KiB (VmRSS), or NaN once the process is gone. */
export function rssKiB(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU time in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds of several processes together (a target's broker and its workers). */
export function totalCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
}

/** KiB as MiB with one decimal, as the results report them. */
export const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

/** CPU use between two calls, in % of one core. */
export function cpuMeter(pids: readonly number[]): () => number {
  const total = () => totalCpuSeconds(pids);
  let last = total();
  let at = performance.now();
  return () => {
    const now = total();
    const t = performance.now();
    const pct = ((now - last) / ((t - at) / 1000)) * 100;
    last = now;
    at = t;
    return pct;
  };
}

/** Read and write system calls made so far (`syscr` / `syscw` of /proc/<pid>/io): how many syscalls a message costs, which CPU contention does not blur. */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(io.match(/^syscr:\s+(\d+)/m)?.[1] ?? NaN), writes: Number(io.match(/^syscw:\s+(\d+)/m)?.[1] ?? NaN) };
  } catch {
    return { reads: NaN, writes: NaN };
  }
}

/** Processes whose command name (/proc/<pid>/comm) is `name`, e.g. the Redis or PostgreSQL servers the cluster shares with anyone else. */
export function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The largest RSS of each process and the largest 1-minute load average, read every `everyMs` until `stop()`. */
export function peakSampler(pids: readonly number[], everyMs = 250): { stop(): { rssMaxKiB: number[]; loadAvgMax: number } } {
  const rssMaxKiB = pids.map(() => 0);
  let loadAvgMax = 0;
  const sample = () => {
    pids.forEach((pid, i) => (rssMaxKiB[i] = Math.max(rssMaxKiB[i]!, rssKiB(pid) || 0)));
    loadAvgMax = Math.max(loadAvgMax, loadavg()[0] ?? 0);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rssMaxKiB, loadAvgMax };
    },
  };
}
