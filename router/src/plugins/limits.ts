import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** Bounds on the shape of an operation, checked before anything runs. */
export interface OperationLimits {
  /** Deepest field nesting; a root field is at depth 1. */
  maxDepth: number;
  /** Aliased fields, fragments expanded. */
  maxAliases: number;
  /** Fields selected at the root, fragments expanded. */
  maxRootFields: number;
  /** Fields selected in all, fragments expanded. */
  maxFields: number;
}

export interface OperationShape {
  depth: number;
  aliases: number;
  rootFields: number;
  fields: number;
}

export type LimitName = 'MAX_DEPTH' | 'MAX_ALIASES' | 'MAX_ROOT_FIELDS' | 'MAX_FIELDS';

export interface LimitViolation {
  limit: LimitName;
  message: string;
}

const EMPTY: OperationShape = { depth: 0, aliases: 0, rootFields: 0, fields: 0 };
/** Counts saturate here: a fragment bomb is measured without overflowing or hanging. */
const CAP = Number.MAX_SAFE_INTEGER;
const add = (a: number, b: number): number => Math.min(CAP, a + b);

/**
 * Measures an operation with its fragments expanded, in time linear in the document: each
 * fragment is measured once and reused wherever it is spread. A spread that closes a fragment
 * cycle counts for nothing (validation refuses the cycle anyway); an unknown fragment likewise.
 */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, OperationShape>();
  const measuring = new Set<string>();

  /** depth: levels of fields below (and including) this selection set; rootFields: fields directly in it. */
  const measure = (selectionSet: SelectionSetNode): OperationShape => {
    let shape = EMPTY;
    for (const selection of selectionSet.selections) {
      let inner: OperationShape;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? measure(selection.selectionSet) : EMPTY;
        inner = {
          depth: below.depth + 1,
          aliases: add(below.aliases, selection.alias ? 1 : 0),
          rootFields: 1,
          fields: add(below.fields, 1),
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measure(selection.selectionSet);
      } else {
        inner = fragment(selection.name.value);
      }
      shape = {
        depth: Math.max(shape.depth, inner.depth),
        aliases: add(shape.aliases, inner.aliases),
        rootFields: add(shape.rootFields, inner.rootFields),
        fields: add(shape.fields, inner.fields),
      };
    }
    return shape;
  };

  const fragment = (name: string): OperationShape => {
    const known = measured.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || measuring.has(name)) return EMPTY;
    measuring.add(name);
    const shape = measure(definition.selectionSet);
    measuring.delete(name);
    measured.set(name, shape);
    return shape;
  };

  return measure(operation.selectionSet);
}

/** The first limit the operation exceeds, or null. */
export function checkLimits(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  limits: OperationLimits,
): LimitViolation | null {
  const shape = measureOperation(document, operation);
  if (shape.depth > limits.maxDepth) {
    return { limit: 'MAX_DEPTH', message: `Query depth ${shape.depth} exceeds the maximum of ${limits.maxDepth}` };
  }
  if (shape.aliases > limits.maxAliases) {
    return {
      limit: 'MAX_ALIASES',
      message: `Query uses ${shape.aliases} aliases, exceeding the maximum of ${limits.maxAliases}`,
    };
  }
  if (shape.rootFields > limits.maxRootFields) {
    return {
      limit: 'MAX_ROOT_FIELDS',
      message: `Query selects ${shape.rootFields} root fields, exceeding the maximum of ${limits.maxRootFields}`,
    };
  }
  if (shape.fields > limits.maxFields) {
    return {
      limit: 'MAX_FIELDS',
      message: `Query selects ${shape.fields} fields, exceeding the maximum of ${limits.maxFields}`,
    };
  }
  return null;
}

/**
 * A validation rule enforcing the limits on every operation of the document; the server then
 * answers HTTP 400 GRAPHQL_VALIDATION_FAILED and runs nothing. The error's `limit` extension
 * names the limit exceeded.
 */
export function operationLimitsRule(limits: OperationLimits): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(operation) {
      const violation = checkLimits(context.getDocument(), operation, limits);
      if (violation) {
        context.reportError(
          new GraphQLError(violation.message, { nodes: [operation], extensions: { limit: violation.limit } }),
        );
      }
      return false;
    },
  });
}
