import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { fieldsWithoutAccessRule } from './access-rules.ts';
import { composeSupergraph } from './compose.ts';

// Deny by default, by construction: a field added to any subgraph without an access rule
// (@authenticated, @requiresScopes or @policy) breaks the build here.
test('every field of the composed supergraph declares an access rule', () => {
  const composition = composeSupergraph();
  assert.ok(composition.ok, composition.ok ? '' : composition.errors.join('\n'));
  assert.deepEqual(fieldsWithoutAccessRule(composition.supergraphSdl), []);
});

test('the check names a field whose rule was removed, and accepts a rule on the type', () => {
  const sdl = (ruleOnSecret: string, typeRule = '') => `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@requiresScopes", "@authenticated", "@policy"])
    type Query {
      open: String @policy(policies: [["public"]])
      record: Record @authenticated
    }
    type Record ${typeRule} {
      id: ID! @authenticated
      secret: String ${ruleOnSecret}
    }`;
  const compose = (source: string) => {
    const result = composeServices([{ name: 'a', url: 'http://a', typeDefs: parse(source) }]);
    assert.ok(result.supergraphSdl, JSON.stringify(result.errors));
    return result.supergraphSdl;
  };
  assert.deepEqual(fieldsWithoutAccessRule(compose(sdl('@requiresScopes(scopes: [["x"]])'))), []);
  assert.deepEqual(fieldsWithoutAccessRule(compose(sdl(''))), ['Record.secret']);
  assert.deepEqual(fieldsWithoutAccessRule(compose(sdl('', '@authenticated'))), []);
});
