import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';

/**
 * Decides whether an operation may run without a token: only when every root field it selects
 * is listed as public ("Mutation.login"). Anything that cannot be analysed is not public.
 */
export function isPublicOperation(
  query: unknown,
  operationName: unknown,
  publicFields: ReadonlySet<string>,
  introspection: boolean,
): boolean {
  if (typeof query !== 'string') return false;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: 2000 });
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
  const rootType = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' }[operation.operation];
  const fields = rootFields(document, operation.selectionSet, new Set());
  if (fields === null || fields.length === 0) return false;
  return fields.every(
    (field) =>
      field === '__typename' ||
      (introspection && (field === '__schema' || field === '__type')) ||
      publicFields.has(`${rootType}.${field}`),
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
