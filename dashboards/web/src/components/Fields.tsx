/**
 * A label and its control, side by side: the pieces of the filter bars and of the bench's setup
 * form. The label names the control through `for`/`id`, so a click on it focuses the control.
 */

export interface Choice {
  value: string;
  label: string;
}

/** Choices that show their own value ("50", "200"). */
export function plainChoices(values: readonly string[]): Choice[] {
  return values.map((value) => ({ value, label: value }));
}

/** What a control needs to edit one value. */
export interface Bound {
  value: string;
  onValue: (value: string) => void;
}

interface LabelledInputProps extends Bound {
  id: string;
  label: string;
  type?: 'search' | 'date';
  required?: boolean;
  /** A decimal number, typed on a numeric keypad and checked by the browser. */
  decimal?: boolean;
  placeholder?: string;
}

export function LabelledInput({
  id,
  label,
  type,
  required,
  decimal,
  placeholder,
  value,
  onValue,
}: LabelledInputProps) {
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        // preact types each input type apart; a search and a date field take the same attributes here
        type={type as 'search'}
        required={required}
        inputMode={decimal ? 'decimal' : undefined}
        pattern={decimal ? '[0-9]*\\.?[0-9]+' : undefined}
        placeholder={placeholder}
        value={value}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
      />
    </>
  );
}

interface LabelledSelectProps extends Bound {
  id: string;
  label: string;
  choices: readonly Choice[];
  /** The label of a first choice that stands for none in particular (value ""). */
  any?: string;
}

export function LabelledSelect({ id, label, choices, any, value, onValue }: LabelledSelectProps) {
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onValue((e.target as HTMLSelectElement).value)}>
        {any !== undefined && <option value="">{any}</option>}
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </>
  );
}
