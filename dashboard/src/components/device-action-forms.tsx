/**
 * The four small forms behind a device's action buttons (device-actions.tsx):
 * renew the secret, revoke, replace with a new serial, move to another home.
 * Each only shows its field and button; what is sent is decided by the caller.
 */
import type { ComponentChildren } from 'preact';
import type { HomeView } from '../api/types.js';
import { t } from '../i18n/index.js';
import { Field, invalid, type FormErrors } from '../util/field-errors.js';
import { residentNames } from '../util/who.js';

function ActionForm({ onSubmit, children }: { onSubmit(): Promise<unknown>; children: ComponentChildren }) {
  return (
    <form
      class="device-action-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {children}
    </form>
  );
}

interface FormProps {
  busy: boolean;
  onSubmit(): Promise<unknown>;
}

interface TextProps extends FormProps {
  errors: FormErrors;
  value: string;
  onValue(value: string): void;
}

export function RotateForm({ busy, onSubmit }: FormProps) {
  return (
    <ActionForm onSubmit={onSubmit}>
      <p class="hint">{t('devAct.rotateHint')}</p>
      <button type="submit" class="button-primary" data-action="rotate" disabled={busy}>
        {t('devAct.rotateConfirm')}
      </button>
    </ActionForm>
  );
}

/** A form of one text field: the hint, the field (named as the hub's path), the button. */
function FieldActionForm({
  busy,
  onSubmit,
  errors,
  value,
  onValue,
  hint,
  label,
  path,
  action,
  confirm,
  buttonClass,
}: TextProps & { hint: string; label: string; path: string; action: string; confirm: string; buttonClass: string }) {
  return (
    <ActionForm onSubmit={onSubmit}>
      <p class="hint">{hint}</p>
      <Field label={label} path={path} errors={errors}>
        <input name={path} value={value} onInput={(e) => onValue(e.currentTarget.value)} {...invalid(errors, path)} />
      </Field>
      <button type="submit" class={buttonClass} data-action={action} disabled={busy}>
        {confirm}
      </button>
    </ActionForm>
  );
}

export function RevokeForm(props: TextProps) {
  return <FieldActionForm {...props} hint={t('devAct.revokeHint')} label={t('devAct.reason')} path="reason" action="revoke" confirm={t('devAct.revokeConfirm')} buttonClass="button-danger" />;
}

export function ReplaceForm(props: TextProps) {
  return <FieldActionForm {...props} hint={t('devAct.replaceHint')} label={t('register.serial')} path="serial" action="replace" confirm={t('devAct.replaceConfirm')} buttonClass="button-primary" />;
}

/** `homes`: the homes it may move to (not its own). */
export function MoveForm({ busy, onSubmit, errors, value, onValue, homes }: TextProps & { homes: HomeView[] }) {
  return (
    <ActionForm onSubmit={onSubmit}>
      <Field label={t('devAct.moveTo')} path="homeId" errors={errors}>
        <select name="homeId" value={value} onChange={(e) => onValue(e.currentTarget.value)} {...invalid(errors, 'homeId')}>
          <option value="">{t('devAct.chooseHome')}</option>
          {homes.map((h) => (
            <option key={h.id} value={h.id}>
              {residentNames(h) ? `${residentNames(h)} — ${h.name}` : h.name}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" class="button-primary" data-action="move" disabled={busy || !value}>
        {t('devAct.moveConfirm')}
      </button>
    </ActionForm>
  );
}
