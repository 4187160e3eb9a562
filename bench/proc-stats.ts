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

/** CPU seconds the whole machine spent busy so far (every core, /proc/stat): all but idle and iowait, and of it the kernel's interrupt work (irq + softirq: loopback TCP is mostly softirq). */
export function machineBusySeconds(): { busy: number; interrupts: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  // guest and guest_nice (9, 10) are already counted in user and nice.
  const busy = fields.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { busy: busy / CLK_TCK, interrupts: ((fields[5] ?? 0) + (fields[6] ?? 0)) / CLK_TCK };
}

/**
 * The kernel's TCP counters (system-wide, /proc/net/netstat) that tell why a connect failed:
 * ListenOverflows — a handshake dropped because a listener's accept queue was full (the
 * client's retries count again); SyncookiesSent — SYN queue full; TCPAbortOnData — a socket
 * closed with unread data (a reset to the peer).
 */
export function tcpCounters(): { listenOverflows: number; syncookiesSent: number; abortOnData: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const values = new Map<string, number>();
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/);
    const numbers = lines[i + 1]!.split(/\s+/);
    names.forEach((name, k) => k > 0 && values.set(name, Number(numbers[k])));
  }
  return { listenOverflows: values.get('ListenOverflows') ?? NaN, syncookiesSent: values.get('SyncookiesSent') ?? NaN, abortOnData: values.get('TCPAbortOnData') ?? NaN };
}

export interface MachineWindow {
  seconds: number;
  /** Every core's busy time over the window, in % of one core (200 = both cores of this machine busy throughout). */
  machineBusyPct: number;
  /** The bench's own processes: the hub nodes measured, and the load generators. */
  nodesCpuPct: number;
  generatorsCpuPct: number;
  /** The shared servers' CPU in % of one core, anyone else's use of them included. */
  redisCpuPct: number;
  postgresCpuPct: number;
  /** The kernel's interrupt work (irq + softirq: loopback TCP handshakes and retransmissions are mostly here). */
  interruptsPct: number;
  /** What is left of the busy time: other sessions' processes, this bench's Node process. */
  restPct: number;
  loadAvgMax: number;
  /** Increase of the kernel's counters over the window (tcpCounters). */
  tcp: ReturnType<typeof tcpCounters>;
}

/** CPU seconds of processes that may come and go (PostgreSQL's backends): those gone by the end count for nothing. */
function cpuOf(pids: readonly number[]): () => number {
  const before = pids.map(cpuSeconds);
  return () => pids.reduce((sum, pid, i) => {
    const used = cpuSeconds(pid) - before[i]!;
    return Number.isFinite(used) ? sum + used : sum;
  }, 0);
}

/**
 * What the whole machine does from now until `stop()`, and how much of it was the bench's
 * own (`nodePids`, the `generators` it tracks): on shared cores, the context in which the
 * measured processes got their CPU.
 */
export function machineMeter(nodePids: readonly number[] = [], generators = new ProcessTreeCpu()): { stop(): MachineWindow } {
  const redis = cpuOf(pidsNamed('redis-server'));
  const postgres = cpuOf(pidsNamed('postgres'));
  const nodes = cpuOf(nodePids);
  generators.begin();
  const before = { busy: machineBusySeconds(), tcp: tcpCounters(), at: performance.now() };
  const sampler = peakSampler([]);
  const timer = setInterval(() => generators.sample(), 250);
  return {
    stop() {
      clearInterval(timer);
      generators.sample();
      const seconds = (performance.now() - before.at) / 1000;
      const pct = (cpuS: number) => Math.round((cpuS / seconds) * 100);
      const tcp = tcpCounters();
      const machine = machineBusySeconds();
      const shares = { machineBusyPct: pct(machine.busy - before.busy.busy), interruptsPct: pct(machine.interrupts - before.busy.interrupts), nodesCpuPct: pct(nodes()), generatorsCpuPct: pct(generators.seconds()), redisCpuPct: pct(redis()), postgresCpuPct: pct(postgres()) };
      return {
        seconds: Math.round(seconds * 10) / 10,
        ...shares,
        restPct: shares.machineBusyPct - shares.interruptsPct - shares.nodesCpuPct - shares.generatorsCpuPct - shares.redisCpuPct - shares.postgresCpuPct,
        loadAvgMax: Math.round(sampler.stop().loadAvgMax * 100) / 100,
        tcp: { listenOverflows: tcp.listenOverflows - before.tcp.listenOverflows, syncookiesSent: tcp.syncookiesSent - before.tcp.syncookiesSent, abortOnData: tcp.abortOnData - before.tcp.abortOnData },
      };
    },
  };
}

/** A process and its descendants now (/proc/<pid>/task/<pid>/children), e.g. a generator and the workers it forked. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Gone already.
  }
  return [pid, ...children.flatMap(processTree)];
}

/**
 * CPU used from `begin()` on by processes that come and go: each tracked process tree (a
 * generator forks workers, and exits at the end of its run) is read every `sample()`, and
 * each process's last reading counts. Processes already running at `begin()` count from
 * there; those started later, from 0.
 */
export class ProcessTreeCpu {
  private readonly roots = new Set<number>();
  private readonly baseline = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private begun = false;

  track(pid: number): void {
    this.roots.add(pid);
  }

  begin(): void {
    this.begun = true;
    for (const pid of [...this.roots].flatMap(processTree)) this.baseline.set(pid, cpuSeconds(pid) || 0);
  }

  sample(): void {
    if (!this.begun) return;
    for (const pid of [...this.roots].flatMap(processTree)) {
      const used = cpuSeconds(pid);
      if (Number.isFinite(used)) this.last.set(pid, used);
    }
  }

  /** CPU seconds since begin(). */
  seconds(): number {
    let sum = 0;
    for (const [pid, used] of this.last) sum += used - (this.baseline.get(pid) ?? 0);
    return sum;
  }
}
