/**
 * The filter bars over the lists: a form of labelled fields that changes nothing until it is
 * submitted (Enter in a field, or the primary button), so that a half-typed value fetches nothing.
 */
import type { ComponentChildren, ComponentProps } from 'preact';
import { useState } from 'preact/hooks';
import { type Bound, LabelledInput, LabelledSelect } from './Fields.js';

export interface Draft<T extends Record<keyof T, string>> {
  draft: T;
  setDraft: (update: (current: T) => T) => void;
  /** The value of one entry and its setter, for a field. */
  bind: (name: keyof T & string) => Bound;
}

/** The values being edited in a filter bar, apart from those in force. */
export function useDraft<T extends Record<keyof T, string>>(initial: T | (() => T)): Draft<T> {
  const [draft, setDraft] = useState<T>(initial);
  return {
    draft,
    setDraft,
    bind: (name) => ({
      value: draft[name],
      onValue: (value) => setDraft((current) => ({ ...current, [name]: value })),
    }),
  };
}

/** The filters as a query: trimmed, and without the empty ones, which filter nothing. */
export function queryOf<T extends Record<keyof T, string>>(filters: T): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries<string>(filters)) if (value.trim()) query[name] = value.trim();
  return query;
}

export interface Filters<T extends Record<keyof T, string>> extends Draft<T> {
  /** The filters in force (a new object each time they are applied). */
  applied: T;
  /** The filters in force as the query of a request. */
  query: Record<string, string>;
  /** The draft comes into force. */
  apply: () => void;
}

/** A draft and the filters in force, which become the draft on submit. */
export function useFilters<T extends Record<keyof T, string>>(initial: T): Filters<T> {
  const edited = useDraft(initial);
  const [applied, setApplied] = useState<T>(initial);
  return { ...edited, applied, query: queryOf(applied), apply: () => setApplied({ ...edited.draft }) };
}

interface FilterBarProps {
  /** The form's accessible name. */
  label: string;
  onApply: () => void;
  children: ComponentChildren;
}

export function FilterBar({ label, onApply, children }: FilterBarProps) {
  return (
    <form
      class="panel filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply();
      }}
      aria-label={label}
    >
      {children}
    </form>
  );
}

interface InputFieldProps extends Bound {
  id: string;
  label: string;
  type?: 'search' | 'date';
  /** The wrapper's class: `field` in a filter bar, `toolbar` standing alone. */
  class?: string;
}

export function InputField({ type = 'search', class: wrapper = 'field', ...input }: InputFieldProps) {
  return (
    <div class={wrapper}>
      <LabelledInput type={type} {...input} />
    </div>
  );
}

export function SelectField(props: ComponentProps<typeof LabelledSelect>) {
  return (
    <div class="field">
      <LabelledSelect {...props} />
    </div>
  );
}

/** The filter bar's primary button. */
export function ApplyButton({ label }: { label: string }) {
  return (
    <div class="field">
      <button type="submit" class="primary">
        {label}
      </button>
    </div>
  );
}
