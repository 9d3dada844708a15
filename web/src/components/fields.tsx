// One form builder for applications, feedback and rejections: inputs described by a spec,
// the API's 422 messages shown beside each field, and only changed fields sent.
import { useEffect, useRef, useState } from 'preact/hooks';
import { idempotency } from '../api/client';
import { label } from '../api/types';
import { keepDraft, leaveDraft, settleDraft, takeDraft, type Edits } from '../drafts';
import { say } from '../state';

export type Kind = 'text' | 'textarea' | 'date' | 'number' | 'url' | 'select' | 'list' | 'lines';

export interface FieldSpec {
  name: string;
  label?: string;
  kind: Kind;
  options?: readonly string[];
  required?: boolean;
  hint?: string;
  wide?: boolean;
}

type Values = Record<string, string>;

export function toInput(value: unknown, kind: Kind): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(kind === 'lines' ? '\n' : ', ');
  return String(value);
}

export function fromInput(text: string, spec: FieldSpec): unknown {
  const value = text.trim();
  switch (spec.kind) {
    case 'list':
      return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
    case 'lines':
      return value ? value.split('\n').map((s) => s.trim()).filter(Boolean) : [];
    case 'number': {
      if (!value) return null;
      const number = Number(value);
      return Number.isFinite(number) ? number : value;
    }
    default:
      return value ? value : spec.required ? '' : null;
  }
}

/** The fields whose value differs from `original` (all non-empty ones when creating). */
export function changes(specs: FieldSpec[], values: Values, original: Record<string, unknown> | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = fromInput(values[spec.name] ?? '', spec);
    if (original) {
      const before = fromInput(toInput(original[spec.name], spec.kind), spec);
      if (JSON.stringify(before) !== JSON.stringify(value)) body[spec.name] = value;
    } else if (value !== null && !(Array.isArray(value) && value.length === 0) && (value !== '' || spec.required)) {
      body[spec.name] = value;
    }
  }
  return body;
}

/** The fields whose text the browser cannot give (a date typed in part reads as empty, and
 * sending that would clear the stored date), with the message to show beside each. */
export function unreadable(form: HTMLFormElement, specs: FieldSpec[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const spec of specs) {
    const input = form.elements.namedItem(spec.name);
    if (input instanceof HTMLInputElement && input.validity.badInput) errors[spec.name] = 'must be a whole date (or empty)';
  }
  return errors;
}

export function initialValues(specs: FieldSpec[], source: Record<string, unknown> | null): Values {
  return Object.fromEntries(specs.map((spec) => [spec.name, toInput(source?.[spec.name], spec.kind)]));
}

interface FormProps {
  id: string;
  specs: FieldSpec[];
  values: Values;
  errors: Record<string, string>;
  /** `unreadable`: the browser cannot give the field's text (a date typed in part reads as ''). */
  onInput: (name: string, value: string, unreadable: boolean) => void;
}

export function Fields({ id, specs, values, errors, onInput }: FormProps) {
  return (
    <div class="fields">
      {specs.map((spec) => {
        const inputId = `${id}-${spec.name}`;
        const error = errors[spec.name];
        const common = {
          id: inputId,
          name: spec.name,
          value: values[spec.name] ?? '',
          'aria-invalid': error ? true : undefined,
          'aria-describedby': error ? `${inputId}-error` : spec.hint ? `${inputId}-hint` : undefined,
          'aria-required': spec.required || undefined,
          onInput: (event: Event) => {
            const input = event.currentTarget as HTMLInputElement;
            onInput(spec.name, input.value, input.validity?.badInput ?? false);
          },
        };
        let input;
        if (spec.kind === 'textarea' || spec.kind === 'lines') input = <textarea rows={spec.kind === 'lines' ? 3 : 4} {...common} />;
        else if (spec.kind === 'select')
          input = (
            <select {...common}>
              <option value="">{spec.required ? '' : '—'}</option>
              {spec.options?.map((option) => <option value={option}>{label(option)}</option>)}
            </select>
          );
        else {
          const type = (spec.kind === 'date' || spec.kind === 'url' ? spec.kind : 'text') as 'text';
          input = <input type={type} inputMode={spec.kind === 'number' ? 'numeric' : undefined} {...common} />;
        }
        return (
          <div class={`field${spec.wide ? ' wide' : ''}${error ? ' invalid' : ''}`} data-field={spec.name}>
            <label for={inputId}>{spec.label ?? label(spec.name)}</label>
            {input}
            {spec.hint && !error && <small id={`${inputId}-hint`}>{spec.hint}</small>}
            {error && <small class="error" id={`${inputId}-error`} role="alert">{error}</small>}
          </div>
        );
      })}
    </div>
  );
}

/** A form's values. With `draft` (a name for this form, e.g. its application's id), the edits
 * not saved when the form goes away (the session ends, or the user leaves it) are kept, and this
 * form shown again starts with them (drafts.ts), saying which of them were also changed
 * elsewhere meanwhile. Closing it on purpose (Cancel) must `reset` it first, as a save does:
 * then nothing is kept. An add sends `once.key(body)` as its Idempotency-Key: kept with the
 * edits, the same add sent again after the page was left is not made twice. */
export function useForm(specs: FieldSpec[], source: Record<string, unknown> | null, draft?: string) {
  const [start] = useState(() => {
    const initial = initialValues(specs, source);
    const saved = draft ? takeDraft(draft) : null;
    const edits = Object.fromEntries(Object.entries(saved?.values ?? {}).filter(([name]) => name in initial));
    // Edited from a text the stored item no longer has: changed elsewhere since.
    const elsewhere = specs.filter(({ name }) => name in edits && name in (saved?.base ?? {}) && saved?.base[name] !== initial[name]);
    return {
      initial,
      edits: Object.keys(edits).length ? edits : null,
      why: saved?.why,
      elsewhere: elsewhere.map((spec) => spec.label ?? label(spec.name)),
      once: idempotency(saved?.pending),
    };
  });
  const [values, setValues] = useState<Values>(() => ({ ...start.initial, ...start.edits }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  // What the fields show of the source (before any edit): a field that differs is an edit.
  const base = useRef(start.initial);
  const latest = useRef(values);
  latest.current = values;
  // Fields the browser cannot read (a date typed in part): never kept as an edit, since their
  // '' would clear the stored value once restored.
  const unreadable = useRef(new Set<string>());
  useEffect(() => {
    if (!draft) return;
    const edits = (): Edits | null => {
      const names = Object.keys(latest.current)
        .filter((name) => latest.current[name] !== base.current[name] && !unreadable.current.has(name));
      if (!names.length) return null;
      const pick = (from: Values) => Object.fromEntries(names.map((name) => [name, from[name]]));
      return { values: pick(latest.current), base: pick(base.current), pending: start.once.pending() };
    };
    const forget = keepDraft(draft, edits);
    return () => {
      forget();
      leaveDraft(draft, edits());
    };
  }, [draft]);
  useEffect(() => {
    if (!start.edits) return;
    const when = start.why === 'left' ? 'here' : 'when the session ended';
    const { elsewhere } = start;
    const changed = !elsewhere.length ? ''
      : ` ${elsewhere.join(', ')} ${elsewhere.length > 1 ? 'were' : 'was'} also changed elsewhere since: your text is shown, and saving puts it in place of that change.`;
    say(`The edits you had not saved ${when} are back: check them and save.${changed}`, 'warning');
  }, []);
  /** Each field still as in `unchanged` shows `next`'s value; one edited since keeps its text. */
  const follow = (unchanged: Values, next: Record<string, unknown> | null) => {
    const after = initialValues(specs, next);
    base.current = after;
    setValues((old) => Object.fromEntries(
      Object.keys(after).map((name) => [name, old[name] === unchanged[name] ? after[name] : old[name]]),
    ));
    setErrors({});
  };
  return {
    values,
    errors,
    setErrors,
    once: start.once,
    reset: (next: Record<string, unknown> | null) => {
      base.current = initialValues(specs, next);
      // At once, not at the next render: a form closed in the same turn keeps no edits.
      latest.current = base.current;
      unreadable.current.clear();
      setValues(base.current);
      setErrors({});
    },
    /** The source changed from `prev` to `next` (changed elsewhere): each field the user has
     * not edited takes the new value; an edit in progress is kept. */
    rebase: (prev: Record<string, unknown> | null, next: Record<string, unknown> | null) =>
      follow(initialValues(specs, prev), next),
    /** `sent` was saved as `next`: each field still as sent shows the stored value; one typed
     * into since keeps its text. */
    settle: (sent: Values, next: Record<string, unknown> | null) => follow(sent, next),
    /** `sent` was saved: edits the form left meanwhile (it went away) that were sent go. */
    saved: (sent: Values) => {
      if (draft) settleDraft(draft, sent);
    },
    onInput: (name: string, value: string, bad: boolean) => {
      if (bad) unreadable.current.add(name);
      else unreadable.current.delete(name);
      setValues((old) => ({ ...old, [name]: value }));
    },
  };
}
