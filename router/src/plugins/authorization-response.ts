import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Authorization } from './authorization.ts';

/** A value that must be null; where its type forbids null, its parent must be null instead. */
const NULLED = Symbol('nulled');
type Completed = unknown | typeof NULLED;
type ResponseObject = Record<string, unknown>;

export interface ShapeOptions {
  schema: GraphQLSchema;
  /** The document the client sent (not the rewritten one). */
  document: DocumentNode;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
  authorization: Pick<Authorization, 'refusedNodes' | 'hiddenKeys'>;
}

/**
 * Shapes the data executed for the rewritten document back into the client's operation: every
 * refused field is null (for every item of the lists above it), GraphQL null propagation applies
 * (a refused non-null field nulls its nearest nullable ancestor, up to `data` itself), and the
 * keys the rewrite added are dropped. Keys are ordered as the operation selects them.
 */
export function shapeData(data: ResponseObject | null, options: ShapeOptions): ResponseObject | null {
  if (data === null) return null;
  const operation = getOperationAST(options.document, options.operationName);
  const rootType = operation && options.schema.getRootType(operation.operation);
  if (!operation || !rootType) return data;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of options.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const coerced = getVariableValues(options.schema, operation.variableDefinitions ?? [], options.variables ?? {});
  const variables = coerced.coerced ?? {};
  const { refusedNodes, hiddenKeys } = options.authorization;

  const included = (node: FieldNode | SelectionSetNode['selections'][number]): boolean => {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  };

  const applies = (typeCondition: string | undefined, type: GraphQLObjectType): boolean => {
    if (!typeCondition || typeCondition === type.name) return true;
    const condition = options.schema.getType(typeCondition);
    return isAbstractType(condition) && options.schema.isSubType(condition, type);
  };

  const collect = (
    type: GraphQLObjectType,
    selectionSets: readonly SelectionSetNode[],
    fields = new Map<string, FieldNode[]>(),
    spreads = new Set<string>(),
  ): Map<string, FieldNode[]> => {
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (!included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          fields.set(key, [...(fields.get(key) ?? []), selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (applies(selection.typeCondition?.name.value, type)) {
            collect(type, [selection.selectionSet], fields, spreads);
          }
        } else {
          const fragment = fragments.get(selection.name.value);
          if (!fragment || spreads.has(fragment.name.value)) continue;
          spreads.add(fragment.name.value);
          if (applies(fragment.typeCondition.name.value, type)) collect(type, [fragment.selectionSet], fields, spreads);
        }
      }
    }
    return fields;
  };

  const completeObject = (
    type: GraphQLObjectType,
    selectionSets: readonly SelectionSetNode[],
    value: ResponseObject,
  ): ResponseObject | typeof NULLED => {
    const shaped: ResponseObject = {};
    for (const [key, nodes] of collect(type, selectionSets)) {
      const name = nodes[0]?.name.value ?? '';
      if (name === '__typename') {
        shaped[key] = value[key] ?? type.name;
        continue;
      }
      const definition =
        name === '__schema' || name === '__type' ? undefined : (type.getFields()[name] as { type: GraphQLOutputType });
      const kept = nodes.filter((node) => !refusedNodes.has(node));
      if (kept.length === 0) {
        if (definition && isNonNullType(definition.type)) return NULLED;
        shaped[key] = null;
        continue;
      }
      if (!(key in value)) continue;
      if (!definition) {
        shaped[key] = value[key];
        continue;
      }
      const completed = complete(
        definition.type,
        kept.flatMap((node) => (node.selectionSet ? [node.selectionSet] : [])),
        value[key],
      );
      if (completed === NULLED) return NULLED;
      shaped[key] = completed;
    }
    return shaped;
  };

  /** NULLED only for a non-null position whose value must be null: the caller nulls itself. */
  const complete = (type: GraphQLOutputType, selectionSets: readonly SelectionSetNode[], value: unknown): Completed => {
    if (isNonNullType(type)) return completeNullable(type.ofType, selectionSets, value);
    const completed = completeNullable(type, selectionSets, value);
    return completed === NULLED ? null : completed;
  };

  const completeNullable = (
    type: GraphQLOutputType,
    selectionSets: readonly SelectionSetNode[],
    value: unknown,
  ): Completed => {
    if (value === null || value === undefined) return value;
    if (isListType(type)) {
      if (!Array.isArray(value)) return value;
      const items: unknown[] = [];
      for (const item of value) {
        const completed = complete(type.ofType, selectionSets, item);
        if (completed === NULLED) return NULLED;
        items.push(completed);
      }
      return items;
    }
    if (!isCompositeType(type) || typeof value !== 'object') return value;
    const object = value as ResponseObject;
    const runtimeName = object[hiddenKeys.typename] ?? object.__typename;
    const runtimeType = isObjectType(type)
      ? type
      : typeof runtimeName === 'string'
        ? options.schema.getType(runtimeName)
        : undefined;
    if (!isObjectType(runtimeType)) return value;
    return completeObject(runtimeType, selectionSets, object);
  };

  const shaped = completeObject(rootType, [operation.selectionSet], data);
  return shaped === NULLED ? null : shaped;
}
