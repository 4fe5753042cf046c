// End to end, through the real router (real PostgreSQL and Kafka): rotating the access-token
// signing key while clients keep signing in and calling the API fails no request, and tokens
// signed before the rotation keep working until they expire.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { gql } from '../../../tests/support/client.ts';
import {
  exitWhenIdle,
  JWT_AUDIENCE,
  JWT_ISSUER,
  startTestSystem,
  type TestSystem,
} from '../../../tests/support/system.ts';

const PUBLICATION_DELAY_SECONDS = 6;
const LOAD_SECONDS = 15;

let system: TestSystem;
before(async () => {
  system = await startTestSystem({
    // A short publication delay (still longer than the router's 5 s JWKS refetch cooldown), and
    // no HTTP caching of the JWKS, as the users service's configuration requires for that delay.
    extraEnv: { KEY_PUBLICATION_DELAY_SECONDS: String(PUBLICATION_DELAY_SECONDS), JWKS_MAX_AGE_SECONDS: '0' },
  });
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { id } }
}`;
const kidOf = (token: string): string => decodeProtectedHeader(token).kid as string;
const publishedKids = async (): Promise<string[]> => {
  const document = (await (await fetch(system.jwksUrl)).json()) as { keys: { kid: string }[] };
  return document.keys.map((key) => key.kid);
};

test('rotating the signing key under load fails no request, and earlier tokens keep working', async () => {
  const { email, password } = system.admin;
  const signedIn = await gql(system.url, LOGIN, { email, password });
  const earlier = signedIn.data?.login as { accessToken: string; refreshToken: string; user: { id: string } };
  assert.ok(earlier, JSON.stringify(signedIn.errors));
  const firstKid = kidOf(earlier.accessToken);
  assert.deepEqual(await publishedKids(), [firstKid]);

  const failures: string[] = [];
  const kidsSeen = new Map<string, number>();
  let requests = 0;
  const check = (what: string, response: Awaited<ReturnType<typeof gql>>, ok: boolean): void => {
    requests++;
    if (response.status !== 200 || response.errors || !ok)
      failures.push(`${what}: ${response.status} ${JSON.stringify(response)}`);
  };
  const deadline = Date.now() + LOAD_SECONDS * 1000;
  const client = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const fresh = await gql(system.url, LOGIN, { email, password });
      const token = fresh.data?.login?.accessToken as string | undefined;
      check('login', fresh, Boolean(token));
      if (!token) continue;
      kidsSeen.set(kidOf(token), (kidsSeen.get(kidOf(token)) ?? 0) + 1);
      const me = await gql(system.url, '{ me { id } }', {}, token);
      check('me with a fresh token', me, me.data?.me?.id === earlier.user.id);
      const old = await gql(system.url, '{ me { id } }', {}, earlier.accessToken);
      check('me with the token from before', old, old.data?.me?.id === earlier.user.id);
    }
  };
  const clients = [client(), client(), client()];

  await sleep(1500);
  // Makes the router refetch the JWKS now (a token naming a key it does not know), so its 5 s
  // cooldown runs from just before the rotation: a new key signing too early would fail requests.
  const probe = await new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'RS256', kid: 'a-key-nobody-published' })
    .setSubject(earlier.user.id)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime('1m')
    .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const probed = await gql(system.url, '{ me { id } }', {}, probe);
  assert.match(probed.errors?.[0]?.message ?? '', /unknown key/);
  const rotation = await gql(system.url, 'mutation { rotateSigningKey }', {}, earlier.accessToken);
  assert.deepEqual(rotation.data, { rotateSigningKey: true }, JSON.stringify(rotation.errors));
  const rotatedAt = Date.now();
  const during = await publishedKids();
  assert.equal(during.length, 2, 'the new key is published at once');
  assert.equal(during[0], firstKid);
  const nextKid = during[1] as string;
  const stillOld = await gql(system.url, LOGIN, { email, password });
  assert.equal(kidOf(stillOld.data?.login.accessToken), firstKid, 'and does not sign yet');

  await Promise.all(clients);
  console.log(
    `# ${requests} requests over ${LOAD_SECONDS} s, rotation at +1.5 s; tokens per key: ${JSON.stringify(Object.fromEntries(kidsSeen))}`,
  );
  assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
  assert.ok(requests > 30, `enough load (${requests} requests)`);
  assert.deepEqual([...kidsSeen.keys()].sort(), [firstKid, nextKid].sort(), 'the new key took over during the run');
  assert.ok(Date.now() - rotatedAt > PUBLICATION_DELAY_SECONDS * 1000);

  // After the switch: the old key is still published (its tokens have not expired), the new one signs.
  assert.deepEqual(await publishedKids(), [firstKid, nextKid]);
  const refreshed = await gql(
    system.url,
    'mutation R($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }',
    { t: earlier.refreshToken },
  );
  assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
  assert.equal(kidOf(refreshed.data?.refreshSession.accessToken), nextKid);
  const old = await gql(system.url, '{ me { id } }', {}, earlier.accessToken);
  assert.deepEqual(old.data, { me: { id: earlier.user.id } }, 'a token signed before the rotation still works');

  // Logging out through the router ends the session: its refresh token no longer works.
  const logout = await gql(
    system.url,
    'mutation L($t: String) { logout(refreshToken: $t) }',
    { t: refreshed.data?.refreshSession.refreshToken },
    refreshed.data?.refreshSession.accessToken,
  );
  assert.deepEqual(logout.data, { logout: true }, JSON.stringify(logout.errors));
  const afterLogout = await gql(
    system.url,
    'mutation R($t: String!) { refreshSession(refreshToken: $t) { accessToken } }',
    { t: refreshed.data?.refreshSession.refreshToken },
  );
  assert.equal(afterLogout.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});
