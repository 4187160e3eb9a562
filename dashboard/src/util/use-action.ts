/**
 * Runs one operator action at a time and keeps its error to show: the hub's
 * own message for a 409 ("already acknowledged by …") tells the operator what
 * happened better than anything the console could invent.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { t } from '../i18n/index.js';

export interface Action {
  busy: boolean;
  error: string | undefined;
  run(work: () => Promise<void>): Promise<boolean>;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.network');
    if (err.status === 403) return t('error.forbidden');
    return err.message || t('error.generic');
  }
  return t('error.generic');
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  return {
    busy,
    error,
    async run(work) {
      if (busy) return false;
      setBusy(true);
      setError(undefined);
      try {
        await work();
        return true;
      } catch (err) {
        setError(errorText(err));
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}
