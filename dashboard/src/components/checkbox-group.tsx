/**
 * A fieldset of checkboxes over a closed list (conditions, severities…): the
 * chosen values in, the new list out. One component for what the installer,
 * resident and webhook forms each wrote by hand.
 */
export function toggled<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((x) => x !== value) : [...list, value];
}

export function CheckboxGroup<T extends string>({
  legend,
  name,
  options,
  label,
  checked,
  onChange,
}: {
  legend: string;
  /** The inputs' name and the fieldset's `data-field` (the path the hub names in a 400). */
  name: string;
  options: readonly T[];
  label(value: T): string;
  checked: readonly T[];
  onChange(next: T[]): void;
}) {
  return (
    <fieldset class="conditions" data-field={name}>
      <legend>{legend}</legend>
      {options.map((value) => (
        <label key={value} class="check">
          <input type="checkbox" name={name} value={value} checked={checked.includes(value)} onChange={() => onChange(toggled(checked, value))} /> {label(value)}
        </label>
      ))}
    </fieldset>
  );
}
