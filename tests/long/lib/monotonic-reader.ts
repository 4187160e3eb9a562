/**
 * A console reading the alert list through whichever node it reaches, over
 * the whole chaos run (docs/CLUSTER.md "Reads on any node"): every read sends
 * the highest journal line it has seen as `X-Hub-After`, and an answer must
 * never be older than that — its own `X-Hub-Journal-N` at least the line
 * sent, and its alert count at least the largest count of any earlier answer
 * at or below its line (alerts are never removed). Standbys answer from their
 * copies, leaders from their memory; answers refused during a failover
 * (502/503, a reset) are counted, not violations.
 */
export interface ReadFigures {
  reads: number;
  /** Answered by a standby from its copy (X-Hub-Replica). */
  servedByReplica: number;
  refused: number;
  /** Answers older than what the reader had already seen. */
  violations: string[];
}

export class MonotonicReader {
  readonly figures: ReadFigures = { reads: 0, servedByReplica: 0, refused: 0, violations: [] };
  private seenLine = 0;
  /** [line, alert count] of each answer, to check later answers against. */
  private readonly answers: [number, number][] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly token: string,
    private readonly httpPorts: () => number[],
  ) {}

  start(everyMs = 100): void {
    let turn = 0;
    this.timer = setInterval(() => {
      if (this.busy) return;
      const ports = this.httpPorts();
      if (ports.length === 0) return;
      this.busy = true;
      void this.readOnce(ports[turn++ % ports.length]!).finally(() => (this.busy = false));
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async readOnce(port: number): Promise<void> {
    const sent = this.seenLine;
    let res: Response;
    try {
      res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts?limit=1`, {
        headers: { authorization: `Bearer ${this.token}`, ...(sent > 0 ? { 'x-hub-after': String(sent) } : {}) },
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      this.figures.refused++;
      return;
    }
    const body = (await res.json().catch(() => undefined)) as { total?: number } | undefined;
    if (res.status !== 200 || typeof body?.total !== 'number') {
      this.figures.refused++;
      return;
    }
    this.figures.reads++;
    if (res.headers.get('x-hub-replica')) this.figures.servedByReplica++;
    const line = Number(res.headers.get('x-hub-journal-n'));
    const total = body.total;
    if (!(line >= sent)) this.violations(`port ${port}: answered at line ${line} to a read after line ${sent}`);
    const olderMax = Math.max(0, ...this.answers.filter(([l]) => l <= line).map(([, t]) => t));
    if (total < olderMax) this.violations(`port ${port}: ${total} alerts at line ${line}, where an answer at or below that line had ${olderMax}`);
    this.answers.push([line, total]);
    if (this.answers.length > 2_000) this.answers.splice(0, 1_000);
    this.seenLine = Math.max(this.seenLine, line);
  }

  private violations(what: string): void {
    if (this.figures.violations.length < 20) this.figures.violations.push(what);
  }
}
