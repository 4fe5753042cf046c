import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isListType,
  isWrappingType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { AccessRules, Caller } from './authorization-rules.ts';

/** Marks a list level in a refused field's path, as the Apollo Router does: `["patients", "@", "email"]`. */
export const LIST_ITEM = '@';

export interface RefusedField {
  /** `Type.field`, the type being the one the field was selected on. */
  coordinate: string;
  /** Response keys from the root; `@` for each list level. */
  path: string[];
}

export interface Authorization {
  /** Every refused selection reachable from the operation, once per path. */
  refused: RefusedField[];
  /** The field nodes removed from the document (identity of the original document's nodes). */
  refusedNodes: ReadonlySet<FieldNode>;
  /** What to execute: the original document when nothing is refused. */
  document: DocumentNode;
  /** Every root field was refused: there is nothing to execute. */
  empty: boolean;
  /**
   * Response keys the rewritten document adds and the response must not show: the type name of
   * abstract values (to tell which fragments apply) and placeholders keeping emptied selection
   * sets valid.
   */
  hiddenKeys: { typename: string; placeholder: string };
}

/** Beyond this many selections visited (fragments expanded), everything is refused. Limits keep real operations far below. */
const VISIT_BUDGET = 100_000;

/**
 * Decides, for one caller, which selections of an operation are authorized, and removes the
 * others from the document. Walks the operation with fragments expanded, resolving every field
 * on the API schema with TypeInfo (fragments on abstract types included). `@skip`/`@include`
 * are not evaluated: a refused field is refused whether or not it would be skipped.
 */
export function authorizeOperation(
  rules: AccessRules,
  document: DocumentNode,
  operationName: string | null | undefined,
  caller: Caller,
): Authorization {
  const none: Authorization = { refused: [], refusedNodes: new Set(), document, empty: false, hiddenKeys: UNUSED };
  const operation = getOperationAST(document, operationName);
  if (!operation) return none;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  const typeInfo = new TypeInfo(rules.schema);
  const refused = new Map<string, RefusedField>();
  const refusedNodes = new Set<FieldNode>();
  let budget = VISIT_BUDGET;
  let keptRootFields = 0;

  const walk = (selectionSet: SelectionSetNode, path: string[], spreads: Set<string>, root: boolean): void => {
    typeInfo.enter(selectionSet);
    for (const selection of selectionSet.selections) {
      if (--budget < 0) return;
      if (selection.kind === Kind.FIELD) {
        typeInfo.enter(selection);
        const name = selection.name.value;
        const parent = typeInfo.getParentType();
        const definition = typeInfo.getFieldDef();
        const key = selection.alias?.value ?? name;
        if (name !== '__typename' && (!parent || !definition || !rules.allows(parent.name, name, caller))) {
          const coordinate = `${parent?.name ?? '?'}.${name}`;
          const at = [...path, key];
          refused.set(`${at.join('\u0000')}\u0001${coordinate}`, { coordinate, path: at });
          refusedNodes.add(selection);
        } else {
          if (root) keptRootFields++;
          if (selection.selectionSet && definition && name !== '__schema' && name !== '__type') {
            walk(selection.selectionSet, [...path, key, ...listLevels(definition.type)], spreads, false);
          }
        }
        typeInfo.leave(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        typeInfo.enter(selection);
        walk(selection.selectionSet, path, spreads, root);
        typeInfo.leave(selection);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spreads.has(fragment.name.value)) continue;
        spreads.add(fragment.name.value);
        typeInfo.enter(fragment);
        walk(fragment.selectionSet, path, spreads, root);
        typeInfo.leave(fragment);
        spreads.delete(fragment.name.value);
      }
    }
    typeInfo.leave(selectionSet);
  };

  // TypeInfo starts at the operation's root type.
  typeInfo.enter(operation);
  walk(operation.selectionSet, [], new Set(), true);
  if (budget < 0) return refuseEverything(rules, operation, document);
  if (refused.size === 0) return none;
  const hiddenKeys = hiddenKeysFor(document);
  return {
    refused: [...refused.values()],
    refusedNodes,
    document: removeFields(rules, document, refusedNodes, hiddenKeys),
    empty: keptRootFields === 0,
    hiddenKeys,
  };
}

function listLevels(type: GraphQLOutputType): string[] {
  const levels: string[] = [];
  let current: GraphQLOutputType = type;
  while (isWrappingType(current)) {
    if (isListType(current)) levels.push(LIST_ITEM);
    current = current.ofType;
  }
  return levels;
}

/** Too big to analyse: every root field is refused (never reached with the router's limits). */
function refuseEverything(
  rules: AccessRules,
  operation: OperationDefinitionNode,
  document: DocumentNode,
): Authorization {
  const root = rules.schema.getRootType(operation.operation)?.name ?? operation.operation;
  const refusedNodes = new Set<FieldNode>();
  const refused: RefusedField[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    refusedNodes.add(selection);
    refused.push({
      coordinate: `${root}.${selection.name.value}`,
      path: [selection.alias?.value ?? selection.name.value],
    });
  }
  return { refused, refusedNodes, document, empty: true, hiddenKeys: UNUSED };
}

/** When nothing is rewritten, no key is added. */
const UNUSED: Authorization['hiddenKeys'] = { typename: '', placeholder: '' };

/** Names no selection of the document uses, for the keys the rewrite adds. */
function hiddenKeysFor(document: DocumentNode): Authorization['hiddenKeys'] {
  const used = new Set<string>();
  visit(document, {
    Field(node) {
      used.add(node.alias?.value ?? node.name.value);
    },
  });
  const unused = (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}${i}`;
    return name;
  };
  return { typename: unused('__authz_typename'), placeholder: unused('__authz_placeholder') };
}

const typenameAs = (alias: string): FieldNode => ({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: alias },
  name: { kind: Kind.NAME, value: '__typename' },
});

/**
 * A copy of the document without the refused fields. A selection set left empty gets a
 * `__typename` placeholder (so its parent is still fetched and its refused children become
 * null), and abstract-typed selections get their type name, to shape the response.
 */
function removeFields(
  rules: AccessRules,
  document: DocumentNode,
  refusedNodes: ReadonlySet<FieldNode>,
  hiddenKeys: Authorization['hiddenKeys'],
): DocumentNode {
  const typeInfo = new TypeInfo(rules.schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          return refusedNodes.has(node) ? null : undefined;
        },
        leave(node) {
          if (!node.selectionSet || !isAbstractType(getNamedType(typeInfo.getType()))) return undefined;
          return {
            ...node,
            selectionSet: {
              ...node.selectionSet,
              selections: [...node.selectionSet.selections, typenameAs(hiddenKeys.typename)],
            },
          };
        },
      },
      SelectionSet: {
        leave(node) {
          return node.selections.length === 0
            ? { ...node, selections: [typenameAs(hiddenKeys.placeholder)] }
            : undefined;
        },
      },
    }),
  );
}
