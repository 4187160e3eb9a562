/**
 * One field and one button: reset a password, change a role, link a home,
 * test a webhook's reach… (issue 13: one component for the one-field action
 * forms). The hub's 400 for the field is shown next to it; any other failure
 * under the button. After success the field is emptied (or kept for a select).
 */
import { useState } from 'preact/hooks';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';

export interface Choice {
  value: string;
  label: string;
}

export function OneFieldForm({
  label,
  field,
  type = 'text',
  choices,
  initial = '',
  submit,
  action,
  hint,
  onSubmit,
}: {
  label: string;
  /** The body field the hub names in a 400 (`password`, `role`…); also the input's name. */
  field: string;
  type?: 'text' | 'password' | 'select';
  choices?: Choice[];
  initial?: string;
  submit: string;
  /** `data-action` of the button. */
  action: string;
  hint?: string;
  onSubmit(value: string): Promise<unknown>;
}) {
  const [value, setValue] = useState(initial);
  const { busy, errors, run } = useFormAction((p) => p === field);
  const send = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await onSubmit(value);
      if (type !== 'select') setValue('');
    });
  };
  const common = { name: field, value, ...invalid(errors, field) };
  return (
    <form class="one-field-form" onSubmit={send} noValidate data-form={action}>
      <Field label={label} path={field} errors={errors} {...(hint ? { hint } : {})}>
        {type === 'select' ? (
          <select {...common} onChange={(e) => setValue(e.currentTarget.value)}>
            {(choices ?? []).map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        ) : (
          type === 'password' ? (
            <input {...common} type="password" autocomplete="new-password" onInput={(e) => setValue(e.currentTarget.value)} />
          ) : (
            <input {...common} type="text" autocomplete="off" onInput={(e) => setValue(e.currentTarget.value)} />
          )
        )}
      </Field>
      <button type="submit" data-action={action} disabled={busy || (type !== 'select' && value.trim() === '')}>
        {submit}
      </button>
      <FormError errors={errors} />
    </form>
  );
}
