// The cabinets schema composes with the other subgraphs, and every field of the result carries an
// access rule; every type and field of this subgraph is documented.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Kind } from 'graphql';
import { fieldsWithoutAccessRule } from '../../../scripts/access-rules.ts';
import { composeSupergraph, ROOT } from '../../../scripts/compose.ts';
import { typeDefs } from './server.ts';

const directory = mkdtempSync(join(tmpdir(), 'cabinets-compose-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** supergraph.yaml with the cabinets subgraph added, its schema paths made absolute. */
function configWithCabinets(): string {
  const original = readFileSync(resolve(ROOT, 'supergraph.yaml'), 'utf8');
  const absolute = original.replace(/file: \.\//g, `file: ${ROOT}/`);
  const cabinets = original.includes('  cabinets:')
    ? ''
    : [
        '  cabinets:',
        '    routing_url: http://127.0.0.1:4005/graphql',
        '    schema:',
        `      file: ${resolve(ROOT, 'subgraphs/cabinets/schema.graphql')}`,
        '',
      ].join('\n');
  const path = join(directory, 'supergraph.yaml');
  writeFileSync(path, `${absolute.trimEnd()}\n${cabinets}`);
  return path;
}

test('the cabinets subgraph composes with the others, and every field has an access rule', () => {
  const composition = composeSupergraph(configWithCabinets());
  assert.ok(composition.ok, composition.ok ? '' : composition.errors.join('\n'));
  assert.match(composition.supergraphSdl, /type Cabinet\b/);
  assert.match(composition.supergraphSdl, /type Practitioner\b/);
  assert.deepEqual(fieldsWithoutAccessRule(composition.supergraphSdl), []);
});

test('every type, field, input field and enum value of the schema is documented', () => {
  const undocumented: string[] = [];
  for (const definition of typeDefs.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.ENUM_TYPE_DEFINITION
    ) {
      continue;
    }
    const name = definition.name.value;
    const root = name === 'Query' || name === 'Mutation';
    if (!root && !definition.description) undocumented.push(name);
    const members =
      definition.kind === Kind.ENUM_TYPE_DEFINITION ? (definition.values ?? []) : (definition.fields ?? []);
    for (const member of members) if (!member.description) undocumented.push(`${name}.${member.name.value}`);
  }
  assert.deepEqual(undocumented, []);
});
