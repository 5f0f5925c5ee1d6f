import { toLocalInput } from '../lib/format';

/** A labelled text input. */
export function TextField({ name, label, value }: { name: string; label: string; value: string | null }) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} type="text" defaultValue={value ?? ''} autoComplete="off" maxLength={512} />
    </div>
  );
}

/** A labelled local date-time input holding an ISO time. */
export function TimeField({ name, label, value }: { name: string; label: string; value: string | null }) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} type="datetime-local" step="0.001" defaultValue={toLocalInput(value)} />
    </div>
  );
}
