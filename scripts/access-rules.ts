import { Kind, type ObjectTypeDefinitionNode, parse } from 'graphql';

/** The directives that declare an access rule; a field needs one, on itself or on its type. */
export const ACCESS_DIRECTIVES = ['authenticated', 'requiresScopes', 'policy'] as const;

const hasRule = (node: { directives?: readonly { name: { value: string } }[] }): boolean =>
  (node.directives ?? []).some((directive) => (ACCESS_DIRECTIVES as readonly string[]).includes(directive.name.value));

/**
 * Every output field of the composed supergraph with no declared access rule, as `Type.field`.
 * Arguments are governed by their field's rule; input, enum and scalar types carry no data of
 * their own and are governed by the fields that take or return them.
 */
export function fieldsWithoutAccessRule(supergraphSdl: string): string[] {
  const document = parse(supergraphSdl);
  const objects = document.definitions.filter(
    (definition): definition is ObjectTypeDefinitionNode =>
      (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) &&
      !definition.name.value.startsWith('join__') &&
      !definition.name.value.startsWith('link__'),
  ) as ObjectTypeDefinitionNode[];
  const typeRules = new Set(objects.filter(hasRule).map((type) => type.name.value));
  const missing: string[] = [];
  for (const type of objects) {
    for (const field of type.fields ?? []) {
      if (!hasRule(field) && !typeRules.has(type.name.value)) missing.push(`${type.name.value}.${field.name.value}`);
    }
  }
  return missing;
}
