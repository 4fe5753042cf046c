import {
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  Kind,
  type OperationTypeNode,
  parse,
  valueFromASTUntyped,
} from 'graphql';

/**
 * The access rules a supergraph declares, read once at start from the federation security
 * directives composition carries into it:
 *
 * - `@authenticated`: any verified token;
 * - `@requiresScopes(scopes: [["a", "b"], ["c"]])`: the token's scopes hold (a AND b) OR c;
 * - `@policy(policies: [["p"]])`: the router knows one policy, `public`, always satisfied (also
 *   without a token); any other policy is never satisfied.
 *
 * They may sit on fields and on object, interface, scalar and enum types. Selecting `Type.field`
 * requires the rules on the field AND on the type it returns AND, except on the root operation
 * types, on `Type` itself. A field of an interface also requires what each implementation's field
 * requires (the data comes from the implementations). A field with no rule at all gets the
 * configured default: `deny` (unauthorized) or `allow`.
 */
export type Clause =
  | { kind: 'authenticated' }
  | { kind: 'scopes'; anyOf: string[][] }
  | { kind: 'policy'; anyOf: string[][] }
  | { kind: 'deny'; reason: 'no rule' | 'introspection disabled' };

/** What authorization knows of a caller. */
export interface Caller {
  /** A verified token came with the request. */
  authenticated: boolean;
  scopes: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = { authenticated: false, scopes: new Set() };

/** The one policy the router evaluates itself. */
export const PUBLIC_POLICY = 'public';

export type DefaultRule = 'deny' | 'allow';

export interface AccessRules {
  /** The API schema (what clients select from). */
  readonly schema: GraphQLSchema;
  /** Every clause must hold to select `field` on `parentType`; none = open to anyone. */
  requirement(parentType: string, field: string): readonly Clause[];
  allows(parentType: string, field: string, caller: Caller): boolean;
  /** Whether this root field can be selected without a token. */
  isPublicRootField(operation: OperationTypeNode | 'query' | 'mutation' | 'subscription', field: string): boolean;
}

export interface AccessRulesOptions {
  defaultRule: DefaultRule;
  /** `__schema` and `__type` are allowed only when introspection is enabled. */
  introspection: boolean;
}

/** The feature versions understood here; a supergraph linking others for SECURITY is refused at load. */
const FEATURES = {
  authenticated: 'https://specs.apollo.dev/authenticated/v0.1',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes/v0.1',
  policy: 'https://specs.apollo.dev/policy/v0.1',
} as const;
type Feature = keyof typeof FEATURES;

export function satisfies(clauses: readonly Clause[], caller: Caller): boolean {
  return clauses.every((clause) => {
    switch (clause.kind) {
      case 'authenticated':
        return caller.authenticated;
      case 'scopes':
        // Scopes come from a token: without one there are none to hold.
        return caller.authenticated && clause.anyOf.some((all) => all.every((scope) => caller.scopes.has(scope)));
      case 'policy':
        return clause.anyOf.some((all) => all.every((policy) => policy === PUBLIC_POLICY));
      case 'deny':
        return false;
    }
    return false;
  });
}

/** Reads the rules of `supergraphSdl`; `apiSchema` is the schema clients see (built from the same SDL). */
export function buildAccessRules(
  supergraphSdl: string | DocumentNode,
  apiSchema: GraphQLSchema,
  options: AccessRulesOptions,
): AccessRules {
  const declared = readDeclaredRules(typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl);
  const fallback: readonly Clause[] = options.defaultRule === 'deny' ? [{ kind: 'deny', reason: 'no rule' }] : [];
  const roots = new Set(
    [apiSchema.getQueryType(), apiSchema.getMutationType(), apiSchema.getSubscriptionType()].flatMap((type) =>
      type ? [type.name] : [],
    ),
  );
  const cache = new Map<string, readonly Clause[]>();

  /** The rules declared on the field, its return type and (off the root types) its parent type. */
  const declaredFor = (parentType: string, field: GraphQLField<unknown, unknown>): Clause[] => [
    ...(declared.fields.get(`${parentType}.${field.name}`) ?? []),
    ...(declared.types.get(getNamedType(field.type).name) ?? []),
    ...(roots.has(parentType) ? [] : (declared.types.get(parentType) ?? [])),
  ];

  const compute = (parentType: string, fieldName: string): readonly Clause[] => {
    if (fieldName === '__typename') return [];
    const type = apiSchema.getType(parentType);
    if (fieldName === '__schema' || fieldName === '__type' || (type && isIntrospectionType(type))) {
      return options.introspection ? [] : [{ kind: 'deny', reason: 'introspection disabled' }];
    }
    if (!(isObjectType(type) || isInterfaceType(type))) return [{ kind: 'deny', reason: 'no rule' }];
    const field = type.getFields()[fieldName];
    if (!field) return [{ kind: 'deny', reason: 'no rule' }];
    const own = declaredFor(parentType, field);
    if (isObjectType(type)) return own.length > 0 ? dedupe(own) : fallback;
    const implementations = apiSchema.getPossibleTypes(type);
    if (implementations.length === 0) return own.length > 0 ? dedupe(own) : fallback;
    return dedupe([
      ...own,
      ...implementations.flatMap((implementation) => requirement(implementation.name, fieldName)),
    ]);
  };

  const requirement = (parentType: string, fieldName: string): readonly Clause[] => {
    const key = `${parentType}.${fieldName}`;
    let clauses = cache.get(key);
    if (!clauses) {
      clauses = compute(parentType, fieldName);
      cache.set(key, clauses);
    }
    return clauses;
  };

  return {
    schema: apiSchema,
    requirement,
    allows: (parentType, field, caller) => satisfies(requirement(parentType, field), caller),
    isPublicRootField(operation, field) {
      const root = apiSchema.getRootType(operation as OperationTypeNode);
      return root !== undefined && root !== null && satisfies(requirement(root.name, field), ANONYMOUS);
    },
  };
}

function dedupe(clauses: Clause[]): Clause[] {
  const seen = new Set<string>();
  return clauses.filter((clause) => {
    const key = JSON.stringify(clause);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface DeclaredRules {
  /** Type name -> clauses declared on the type. */
  types: Map<string, Clause[]>;
  /** `Type.field` -> clauses declared on the field. */
  fields: Map<string, Clause[]>;
}

/** Finds the directives by the names the supergraph's `@link`s give them (`as:` renames a feature). */
function readDeclaredRules(document: DocumentNode): DeclaredRules {
  const names = new Map<string, Feature>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const args = argumentsOf(directive);
      const url = typeof args.url === 'string' ? args.url : '';
      for (const [feature, featureUrl] of Object.entries(FEATURES) as [Feature, string][]) {
        if (url === featureUrl) names.set(typeof args.as === 'string' ? args.as : feature, feature);
      }
    }
  }
  const rules: DeclaredRules = { types: new Map(), fields: new Map() };
  const add = (map: Map<string, Clause[]>, key: string, clauses: Clause[]): void => {
    if (clauses.length > 0) map.set(key, [...(map.get(key) ?? []), ...clauses]);
  };
  const clausesOf = (directives: readonly ConstDirectiveNode[] | undefined): Clause[] =>
    (directives ?? []).flatMap((directive): Clause[] => {
      const feature = names.get(directive.name.value);
      if (!feature) return [];
      const args = argumentsOf(directive);
      if (feature === 'authenticated') return [{ kind: 'authenticated' }];
      if (feature === 'requiresScopes') return [{ kind: 'scopes', anyOf: disjunction(args.scopes) }];
      return [{ kind: 'policy', anyOf: disjunction(args.policies) }];
    });
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        add(rules.types, definition.name.value, clausesOf(definition.directives));
        for (const field of definition.fields ?? []) {
          add(rules.fields, `${definition.name.value}.${field.name.value}`, clausesOf(field.directives));
        }
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_EXTENSION:
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION:
        add(rules.types, definition.name.value, clausesOf(definition.directives));
        break;
      default:
        break;
    }
  }
  return rules;
}

function argumentsOf(directive: ConstDirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));
}

/**
 * `[[String!]!]!` with GraphQL's list coercion: `"a"` means `[["a"]]`, `["a", "b"]` means
 * `[["a"], ["b"]]`. Anything unreadable yields no alternative, which nothing satisfies.
 */
function disjunction(value: unknown): string[][] {
  const list = (item: unknown): unknown[] => (Array.isArray(item) ? item : [item]);
  return list(value)
    .filter((item) => item !== null && item !== undefined)
    .map((item) => list(item).filter((name): name is string => typeof name === 'string'))
    .filter((all) => all.length > 0);
}
