import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { composeSupergraph, SUPERGRAPH_FILE } from './compose.ts';

test('the subgraphs compose without errors', () => {
  const composition = composeSupergraph();
  assert.equal(composition.ok, true, composition.ok ? '' : composition.errors.join('\n'));
});

test('the committed supergraph is what composition produces (not stale)', () => {
  const composition = composeSupergraph();
  assert.ok(composition.ok);
  assert.equal(readFileSync(SUPERGRAPH_FILE, 'utf8'), composition.supergraphSdl, 'run `npm run compose` and commit');
});
