/**
 * The audible alarm: a two-tone beep (Web Audio, no sound file) repeated while
 * any critical alert is still open, i.e. not yet acknowledged. Faster once an
 * alert is overdue (unacknowledged past 60 s, DESIGN.md §4 "re-sounded").
 *
 * Which alerts ring on this console is decided by util/who-hears.ts
 * (presence first, everyone after 30 s; a stalled alert for its holder and
 * then the supervisors, issue 13).
 *
 * Mute silences what rings now; the next new critical alert un-mutes, so an
 * operator who muted and forgot cannot miss the next emergency.
 *
 * `document.body.dataset.alarm` is `on`, `muted` or `off`: the mute button,
 * the styles and the browser tests read it.
 */
import type { AlertSummary } from '../api/types.js';
import { createStore } from '../util/store.js';

export type AlarmState = 'on' | 'muted' | 'off';

const NORMAL_PERIOD_MS = 2_000;
const OVERDUE_PERIOD_MS = 1_000;

export class Alarm {
  readonly state = createStore<AlarmState>('off');
  /** False while the browser blocks audio until the user interacts (autoplay policy). */
  readonly audible = createStore(true);
  private muted = false;
  private ringing: AlertSummary[] = [];
  private context: AudioContext | undefined;
  private timer: number | undefined;
  private period = 0;

  /** Call from a user gesture (a click, a key press): browsers only start audio then. */
  unlock(): void {
    try {
      this.context ??= new AudioContext();
      if (this.context.state === 'suspended') void this.context.resume().then(() => this.audible.set(true));
      else this.audible.set(true);
    } catch {
      this.audible.set(false);
    }
  }

  /** The unresolved alerts changed (or time passed): recompute what rings. */
  update(alerts: readonly AlertSummary[], rings: (alert: AlertSummary) => boolean = (a) => a.severity === 'critical' && a.status === 'open'): void {
    this.ringing = alerts.filter(rings);
    this.apply();
  }

  /** A critical alert was raised while the console is open: it sounds even if muted before. */
  newCritical(): void {
    this.muted = false;
    this.apply();
  }

  toggleMute(): void {
    this.muted = !this.muted;
    this.apply();
  }

  stop(): void {
    this.ringing = [];
    this.muted = false;
    this.apply();
  }

  private apply(): void {
    const state: AlarmState = this.ringing.length === 0 ? 'off' : this.muted ? 'muted' : 'on';
    this.state.set(state);
    document.body.dataset.alarm = state;
    const period = state !== 'on' ? 0 : this.ringing.some((a) => a.flags.overdue || a.flags.stalled) ? OVERDUE_PERIOD_MS : NORMAL_PERIOD_MS;
    if (period === this.period) return;
    clearInterval(this.timer);
    this.period = period;
    if (period === 0) return;
    this.beep();
    this.timer = window.setInterval(() => this.beep(), period);
  }

  private beep(): void {
    const ctx = this.context;
    if (!ctx || ctx.state !== 'running') {
      this.audible.set(false);
      return;
    }
    this.audible.set(true);
    const start = ctx.currentTime;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      const t0 = start + i * 0.22;
      // Short attack and release: no click, clearly a tone.
      gain.gain.setValueAtTime(0, t0);
      gain.gain.linearRampToValueAtTime(0.18, t0 + 0.02);
      gain.gain.setValueAtTime(0.18, t0 + 0.16);
      gain.gain.linearRampToValueAtTime(0, t0 + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + 0.21);
    }
  }
}
