import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** Whether the query selects `name` on this field's result, directly or through fragments. */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set !== undefined &&
    set.selections.some((s) =>
      s.kind === Kind.FIELD
        ? s.name.value === name
        : visit(
            s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : info.fragments[s.name.value]?.selectionSet,
          ),
    );
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
