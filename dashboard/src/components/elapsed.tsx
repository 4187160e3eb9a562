/**
 * A time counting up (m:ss). It writes its own text node on the shared tick
 * instead of re-rendering: 500 queue rows cost 500 text updates a second,
 * not 500 component renders.
 */
import { Component, createRef } from 'preact';
import { formatElapsed } from '../util/format.js';
import { onTick } from '../util/ticker.js';

export class Elapsed extends Component<{ since: string; class?: string }> {
  private readonly ref = createRef<HTMLSpanElement>();
  private off: (() => void) | undefined;

  override componentDidMount(): void {
    this.paint(Date.now());
    this.off = onTick((now) => this.paint(now));
  }

  override componentDidUpdate(): void {
    this.paint(Date.now());
  }

  override componentWillUnmount(): void {
    this.off?.();
  }

  override shouldComponentUpdate(next: { since: string; class?: string }): boolean {
    return next.since !== this.props.since || next.class !== this.props.class;
  }

  private paint(now: number): void {
    const el = this.ref.current;
    if (el) el.textContent = formatElapsed(now - Date.parse(this.props.since));
  }

  override render() {
    return <span ref={this.ref} class={this.props.class} />;
  }
}
