import { ReferenceKind, type EntityMetadata, type EntityProperty } from '@mikro-orm/core';
import type { EntityShape, ShapeProp } from './captured-row';
import type { FieldMasker } from './field-masker';

const TEXT_TYPES = new Set(['string', 'bigint']);

function shapeProp(prop: EntityProperty, name: string, meta: EntityMetadata): ShapeProp | null {
  switch (prop.kind) {
    case ReferenceKind.SCALAR:
      return {
        name,
        kind: prop.runtimeType === 'Date' ? 'date' : TEXT_TYPES.has(prop.runtimeType) ? 'text' : 'value',
        column: prop.fieldNames[0],
      };
    case ReferenceKind.EMBEDDED:
      if (prop.object) return { name, kind: 'value', column: prop.fieldNames[0] };
      return {
        name,
        kind: 'embedded',
        members: meta.props
          .filter((m) => m.embedded?.[0] === prop.name && m.persist !== false)
          .map((m) => shapeProp(m, m.embedded![1], meta))
          .filter((m): m is ShapeProp => m !== null),
      };
    case ReferenceKind.MANY_TO_ONE:
      return { name, kind: 'reference', columns: prop.fieldNames };
    case ReferenceKind.ONE_TO_ONE:
      return prop.owner ? { name, kind: 'reference', columns: prop.fieldNames } : null;
    default:
      return null;
  }
}

/**
 * How the entity's captured rows map to its snapshots: the same properties `snapshotEntity` records
 * (scalars, embeddables, owned to-one relations by key), read from their columns; to-many
 * relations are carried from event to event and changed by relation rows.
 */
export function entityShapeOf(
  meta: EntityMetadata,
  masker: FieldMasker,
  tenantField: string,
  selection: { only?: string[]; ignore?: string[] } = {},
): EntityShape {
  const props = meta.props
    .filter((p) => p.persist !== false && !p.embedded)
    .map((p) => shapeProp(p, p.name, meta))
    .filter((p): p is ShapeProp => p !== null);
  const relations = meta.props
    .filter((p) => p.kind === ReferenceKind.ONE_TO_MANY || p.kind === ReferenceKind.MANY_TO_MANY)
    .map((p) => p.name);
  return { entityType: meta.className, props, relations, masker, tenantField, ...selection };
}

/**
 * The columns whose values must never leave the table: those of masked properties (by the
 * masker's rules on property names) and any column whose own name the masker matches.
 */
export function maskedColumnsOf(meta: EntityMetadata, masker: FieldMasker, columns: string[]): string[] {
  const masked = new Set<string>();
  for (const prop of meta.props) {
    if (prop.persist === false || !prop.fieldNames) continue;
    const names = [prop.name, ...(prop.embedded ?? [])];
    if (names.some((n) => masker.isMaskedName(n))) for (const c of prop.fieldNames) masked.add(c);
  }
  for (const column of columns) if (masker.isMaskedName(column)) masked.add(column);
  return [...masked].sort();
}

/** The primary key's columns, in the entity's order. */
export const keyColumnsOf = (meta: EntityMetadata): string[] =>
  meta.primaryKeys.flatMap((pk) => meta.properties[pk].fieldNames);
