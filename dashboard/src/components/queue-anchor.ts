/**
 * Keeps the row the operator is on where it is when alerts arrive above it:
 * the focused row (or, scrolled down, the first visible one) is measured
 * before a render and the list's scroll is corrected after, so nothing the
 * operator is reading jumps. Rows have a fixed height, which makes both cheap.
 */
export interface Anchor {
  id: string;
  offset: number;
}

const rowOf = (el: Element | null) => el?.closest<HTMLElement>('[data-alert-id]') ?? undefined;

/**
 * Where a row is drawn relative to the list's top edge. Not offsetTop: each
 * row's <li> has `content-visibility`, which makes it the row's offsetParent.
 */
const visualOffset = (row: HTMLElement, list: HTMLElement) => row.getBoundingClientRect().top - list.getBoundingClientRect().top;

export function captureAnchor(list: HTMLElement | null): Anchor | undefined {
  if (!list) return undefined;
  let row = list.contains(document.activeElement) ? rowOf(document.activeElement) : undefined;
  if (!row && list.scrollTop > 0) {
    const first = list.firstElementChild as HTMLElement | null;
    const height = first?.offsetHeight ?? 0;
    if (height > 0) row = rowOf(list.children[Math.floor(list.scrollTop / height)]?.firstElementChild ?? null);
  }
  const id = row?.dataset.alertId;
  return row && id ? { id, offset: visualOffset(row, list) } : undefined;
}

export function restoreAnchor(list: HTMLElement | null, anchor: Anchor | undefined): void {
  if (!list || !anchor) return;
  const row = list.querySelector<HTMLElement>(`[data-alert-id="${CSS.escape(anchor.id)}"]`);
  if (!row) return;
  const delta = visualOffset(row, list) - anchor.offset;
  if (delta !== 0) list.scrollTop += delta;
}

/** How many unacknowledged alerts are scrolled out of view above. */
export function hiddenAbove(list: HTMLElement | null): number {
  if (!list || list.scrollTop <= 0) return 0;
  const first = list.firstElementChild as HTMLElement | null;
  const height = first?.offsetHeight ?? 0;
  if (height === 0) return 0;
  const above = Math.floor(list.scrollTop / height + 0.5);
  let n = 0;
  for (let i = 0; i < above && i < list.children.length; i++) {
    if ((list.children[i]?.firstElementChild as HTMLElement | null)?.dataset.status === 'open') n++;
  }
  return n;
}
