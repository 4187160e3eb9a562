/**
 * A 400 from the hub names each bad field (`error.issues[{path, message}]`,
 * e.g. `resident.contacts.1.phone: must be a phone number`). Forms show each
 * message next to its field; whatever no field claims is listed by the submit
 * button, so no error is ever lost.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { t } from '../i18n/index.js';
import { errorText } from './use-action.js';

export interface FormErrors {
  /** path → message */
  fields: Record<string, string>;
  /** A message for the whole form (not a 400, or fields not on the form). */
  general?: string | undefined;
}

export const NO_ERRORS: FormErrors = { fields: {} };

/**
 * The hub's words for a field, except zod's stock English for "nothing given",
 * which every form can say in the user's language.
 */
export function issueText(message: string): string {
  if (/expected string to have >=1 character|received undefined|^Required$/i.test(message)) return t('form.required');
  return message;
}

/** Turns a failed call into per-field messages; `known` are the paths the form shows. */
export function formErrors(err: unknown, known: (path: string) => boolean): FormErrors {
  if (!(err instanceof ApiError) || err.status !== 400 || err.issues.length === 0) return { fields: {}, general: errorText(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const issue of err.issues) {
    const text = issueText(issue.message);
    if (known(issue.path)) fields[issue.path] = fields[issue.path] ? `${fields[issue.path]}; ${text}` : text;
    else rest.push(`${issue.path}: ${text}`);
  }
  return { fields, general: rest.length > 0 ? rest.join('; ') : t('form.fixFields') };
}

/** The errors once the user has answered one field: its message goes; the summary too when no field is left. */
export function withoutField(errors: FormErrors, path: string): FormErrors {
  if (!errors.fields[path]) return errors;
  const { [path]: _gone, ...fields } = errors.fields;
  return { fields, general: Object.keys(fields).length === 0 && errors.general === t('form.fixFields') ? undefined : errors.general };
}

const errorId = (path: string) => `err-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/** The attributes a field's control needs so a screen reader says what is wrong with it. */
export function invalid(errors: FormErrors, path: string): { 'aria-invalid'?: 'true'; 'aria-describedby'?: string } {
  return errors.fields[path] ? { 'aria-invalid': 'true', 'aria-describedby': errorId(path) } : {};
}

export function Field({ label, path, errors, children, hint, class: cls }: { label: string; path: string; errors: FormErrors; children: ComponentChildren; hint?: string; class?: string }) {
  const message = errors.fields[path];
  return (
    <label class={`field${message ? ' has-error' : ''}${cls ? ` ${cls}` : ''}`} data-field={path}>
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="hint">{hint}</span>}
      {message && (
        <span class="field-error" id={errorId(path)}>
          {message}
        </span>
      )}
    </label>
  );
}

export function FormError({ errors }: { errors: FormErrors }) {
  if (!errors.general) return null;
  return (
    <p class="error" role="alert" data-form-error>
      {errors.general}
    </p>
  );
}

export interface FormAction {
  busy: boolean;
  errors: FormErrors;
  setErrors(errors: FormErrors): void;
  /** Runs one submission at a time; a failure becomes per-field errors (and `onError` runs after them). */
  run(work: () => Promise<void>, onError?: () => void): Promise<boolean>;
}

/** useAction for forms: the same one-at-a-time run, with the hub's 400 split onto the form's `known` fields. */
export function useFormAction(known: (path: string) => boolean): FormAction {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  return {
    busy,
    errors,
    setErrors,
    async run(work, onError) {
      if (busy) return false;
      setBusy(true);
      setErrors(NO_ERRORS);
      try {
        await work();
        return true;
      } catch (err) {
        setErrors(formErrors(err, known));
        onError?.();
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}
