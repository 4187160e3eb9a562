/** Silence a smoke or gas alarm's local siren (the alert itself stays open). */
import { alertsApi } from '../api/alerts.js';
import { t } from '../i18n/index.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

export function SilenceAction({ alert, onChange }: ActionProps) {
  const action = useAction();
  const silence = () => action.run(async () => onChange(await alertsApi.silence(alert.id)));
  return (
    <div class="action">
      <button type="button" data-action="silence" disabled={action.busy} onClick={() => void silence()}>
        {t('actions.silence')}
      </button>
      <ActionError error={action.error} />
    </div>
  );
}
