import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type OperationTypeNode,
  parse,
  type SelectionSetNode,
} from 'graphql';

/** Whether a root field of this operation type can be selected without a token. */
export type PublicRootField = (operation: OperationTypeNode, field: string) => boolean;

/**
 * Decides whether an operation may run without a token: only when every root field it selects
 * is public (the schema's rules are satisfied without a token, e.g. `@policy(policies:
 * [["public"]])`). `@skip`/`@include` are not evaluated. Anything that cannot be analysed is not
 * public.
 */
export function isPublicOperation(
  query: unknown,
  operationName: unknown,
  isPublicField: PublicRootField,
  introspection: boolean,
  maxTokens = 5000,
): boolean {
  if (typeof query !== 'string') return false;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens });
  } catch {
    return false;
  }
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    typeof operationName === 'string'
      ? operations.find((o) => o.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
  if (!operation) return false;
  const fields = rootFields(document, operation.selectionSet, new Set());
  if (fields === null || fields.length === 0) return false;
  return fields.every(
    (field) =>
      field === '__typename' ||
      (introspection && (field === '__schema' || field === '__type')) ||
      isPublicField(operation.operation, field),
  );
}

function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): string[] | null {
  const fields: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      fields.push(selection.name.value);
      continue;
    }
    let nested: SelectionSetNode | undefined;
    if (selection.kind === Kind.INLINE_FRAGMENT) nested = selection.selectionSet;
    else {
      const name = selection.name.value;
      if (seen.has(name)) continue;
      seen.add(name);
      const fragment = document.definitions.find(
        (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name,
      );
      nested = fragment?.selectionSet;
    }
    if (!nested) return null;
    const inner = rootFields(document, nested, seen);
    if (inner === null) return null;
    fields.push(...inner);
  }
  return fields;
}
