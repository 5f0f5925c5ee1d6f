import { ERASED, MASKED, valueText } from '../lib/format';

/** One audited value: masked and erased values are labelled as such, never shown as data. */
export function ValueView({ value }: { value: unknown }) {
  if (value === MASKED) return <span class="tag tag-masked">masked</span>;
  if (value === ERASED) return <span class="tag tag-erased">[ERASED]</span>;
  if (value === null || value === undefined) return <span class="muted">none</span>;
  return <span class="value">{valueText(value)}</span>;
}
