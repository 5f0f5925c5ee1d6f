/** The values the API puts in place of hidden ones (the library's MASKED_VALUE and ERASED_VALUE). */
export const MASKED = '[MASKED]';
export const ERASED = '[ERASED]';

const MAX_SHOWN = 2000;

/** A JSON value as text: strings as they are, everything else as JSON; bounded, never throwing. */
export function valueText(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)` : text;
}

/** An API time (ISO-8601 UTC) for people: the local time, to the millisecond; bad input as is. */
export function timeText(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso.slice(0, 40);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** An ISO time as a `datetime-local` input value (local time, seconds and milliseconds kept). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 23);
}

/** A `datetime-local` value (local time) as ISO-8601 UTC; undefined when empty or invalid. */
export function fromLocalInput(value: FormDataEntryValue | null): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A form field's trimmed text; undefined when empty. */
export function textOf(value: FormDataEntryValue | null): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

export function shiftDays(days: number, from = new Date()): string {
  return new Date(from.getTime() + days * 24 * 60 * 60 * 1000).toISOString();
}

export function actorText(actor: { type: string; id: string; display: string | null }): string {
  return actor.display ? `${actor.display} (${actor.type})` : `${actor.id} (${actor.type})`;
}

/** A form field's text as typed ('' for a file or a missing field). */
export function rawTextOf(value: FormDataEntryValue | null): string {
  return typeof value === 'string' ? value : '';
}
