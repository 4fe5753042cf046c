import { defineEntity, p } from '@mikro-orm/core';
import type { JWK } from 'jose';
import { KEY_STATUSES } from '../domain/key-lifecycle.ts';

/**
 * A key of the access-token signing ring. `ring` tells the key-encryption key that sealed it: the
 * instances configured with the same key-encryption key share a ring (and agree on the keys).
 */
export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_key',
  properties: {
    id: p.uuid().primary(),
    ring: p.string(),
    kid: p.string(),
    status: p.enum(KEY_STATUSES),
    publicJwk: p.json<JWK>(),
    /** PKCS#8 DER sealed with AES-256-GCM; erased (null) once the key has expired. */
    privateKeySealed: p.text().nullable(),
    createdAt: p.datetime(),
    activatesAt: p.datetime(),
    activatedAt: p.datetime().nullable(),
    retiredAt: p.datetime().nullable(),
    unpublishAt: p.datetime().nullable(),
  },
});
export type SigningKeyRecord = InstanceType<typeof SigningKey.class>;
