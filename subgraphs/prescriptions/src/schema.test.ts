// The subgraph composes into the supergraph, and every field it adds carries an access rule.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { fieldsWithoutAccessRule } from '../../../scripts/access-rules.ts';
import { composeSupergraph, ROOT } from '../../../scripts/compose.ts';

interface Config {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

test('the supergraph with prescriptions composes and has no field without an access rule', () => {
  const config = parseYaml(readFileSync(resolve(ROOT, 'supergraph.yaml'), 'utf8')) as Config;
  // The copy lives elsewhere: its schema paths become absolute.
  for (const subgraph of Object.values(config.subgraphs)) subgraph.schema.file = resolve(ROOT, subgraph.schema.file);
  config.subgraphs.prescriptions = {
    routing_url: 'http://127.0.0.1:4008/graphql',
    schema: { file: resolve(ROOT, 'subgraphs/prescriptions/schema.graphql') },
  };
  const dir = mkdtempSync(join(tmpdir(), 'prescriptions-compose-'));
  try {
    const path = join(dir, 'supergraph.yaml');
    writeFileSync(path, stringify(config));
    const composition = composeSupergraph(path);
    assert.ok(composition.ok, composition.ok ? '' : composition.errors.join('\n'));
    assert.deepEqual(fieldsWithoutAccessRule(composition.supergraphSdl), []);
    for (const field of ['issuePrescription', 'medications', 'myPrescriptions']) {
      assert.match(composition.supergraphSdl, new RegExp(`\\b${field}[(:]`));
    }
    assert.match(composition.supergraphSdl, /type Consultation\b[^{]*@join__type\(graph: PRESCRIPTIONS, key: "id"\)/);
    assert.match(composition.supergraphSdl, /type Prescription\b[^{]*@join__type\(graph: PRESCRIPTIONS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
