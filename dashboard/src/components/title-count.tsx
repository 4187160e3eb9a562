/** The tab title counts open alerts, so they are visible from another tab. */
import { useEffect } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { book } from '../live/index.js';
import { useStore } from '../util/use-store.js';

export function TitleCount() {
  useStore(book.version);
  const open = book.sorted().filter((a) => a.status === 'open').length;
  useEffect(() => {
    document.title = open > 0 ? `(${open}) ${t('app.title')}` : t('app.title');
  }, [open]);
  return null;
}
