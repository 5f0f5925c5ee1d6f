import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** How deep an operation nests and how many field selections it expands to, fragments inlined. */
export interface QueryShape {
  /** Deepest nesting of selections, introspection fields (`__schema`) not counted. */
  depth: number;
  /** Field selections once every fragment is expanded where it is spread, capped at `cap`. */
  selections: number;
}

/**
 * The shape of each operation of `document`, computed once per fragment: a fragment spread
 * twice in each of thirty fragments expands to 2^30 selections but costs thirty steps here.
 * A cyclic or unknown fragment counts as empty (GraphQL's NoFragmentCycles and KnownFragmentNames
 * rules refuse the document), so this never recurses forever.
 */
export function queryShapes(document: DocumentNode, cap: number): Map<string, QueryShape> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const done = new Map<string, QueryShape>();
  const visiting = new Set<string>();
  const EMPTY: QueryShape = { depth: 0, selections: 0 };

  const fragment = (name: string): QueryShape => {
    const known = done.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || visiting.has(name)) return EMPTY;
    visiting.add(name);
    const shape = set(definition.selectionSet);
    visiting.delete(name);
    done.set(name, shape);
    return shape;
  };
  const set = (selectionSet: SelectionSetNode): QueryShape => {
    let depth = 0;
    let selections = 0;
    for (const s of selectionSet.selections) {
      let child: QueryShape;
      if (s.kind === Kind.FIELD) {
        if (s.name.value.startsWith('__')) continue;
        const below = s.selectionSet ? set(s.selectionSet) : EMPTY;
        child = { depth: s.selectionSet ? below.depth + 1 : 0, selections: below.selections + 1 };
      } else {
        child = s.kind === Kind.INLINE_FRAGMENT ? set(s.selectionSet) : fragment(s.name.value);
      }
      depth = Math.max(depth, child.depth);
      selections = Math.min(cap, selections + child.selections);
    }
    return { depth, selections };
  };

  const shapes = new Map<string, QueryShape>();
  for (const d of document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION) shapes.set(d.name?.value ?? '', set(d.selectionSet));
  return shapes;
}
