import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo } from 'graphql';
import { selectsField } from './selects-field';

/** The resolve info of the query's first root field, as far as `selectsField` reads it. */
function infoOf(query: string): GraphQLResolveInfo {
  const document = parse(query);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  let root: FieldNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    if (definition.kind === Kind.OPERATION_DEFINITION)
      root = definition.selectionSet.selections[0] as FieldNode;
  }
  return { fieldNodes: [root!], fragments } as unknown as GraphQLResolveInfo;
}

describe('selectsField', () => {
  it('finds a field selected directly, in an inline fragment or in a named fragment', () => {
    expect(selectsField(infoOf('{ auditEvents { totalCount edges { cursor } } }'), 'totalCount')).toBe(true);
    expect(
      selectsField(infoOf('{ auditEvents { ... on AuditEventConnection { totalCount } } }'), 'totalCount'),
    ).toBe(true);
    expect(
      selectsField(
        infoOf('{ auditEvents { ...Counted } } fragment Counted on AuditEventConnection { totalCount }'),
        'totalCount',
      ),
    ).toBe(true);
  });

  it('does not find a field the query does not select on this level', () => {
    expect(
      selectsField(infoOf('{ auditEvents { edges { cursor } pageInfo { hasNextPage } } }'), 'totalCount'),
    ).toBe(false);
    expect(selectsField(infoOf('{ auditEvents { edges { node { totalCount: id } } } }'), 'totalCount')).toBe(
      false,
    );
  });
});
