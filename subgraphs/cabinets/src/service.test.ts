// Integration: the cabinets service on the real PostgreSQL test database of the subgraph. Every
// test creates practices of its own (random names, random RPPS numbers) and reads only the outbox
// rows of this run's topics, so runs side by side never see each other's data.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Auditor } from '@cabinet/platform/audit';
import {
  CABINET_CREATED,
  CABINET_DEACTIVATED,
  CABINET_UPDATED,
  type CabinetUpdated,
  PRACTITIONER_ATTACHED,
  PRACTITIONER_DETACHED,
} from '@cabinet/platform/cabinet-events';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited, type EventEnvelope } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import type { RequestContext } from '@cabinet/platform/subgraph';
import { execute, parse } from 'graphql';
import type { CabinetInput } from './domain/cabinet.ts';
import { luhnCheckDigit } from './domain/rpps.ts';
import { migrations } from './persistence/migrations.ts';
import { createResolvers } from './resolvers.ts';
import { entities, typeDefs } from './server.ts';
import { CabinetsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_cabinets`;

const topic = `test-${randomUUID()}.cabinets`;
const auditTopic = `test-${randomUUID()}.audit`;
let orm: MikroORM;
let cabinets: CabinetsService;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities, migrations });
  const auditor = new Auditor({ service: 'cabinets', orm, topic: auditTopic, onRecorded: () => undefined });
  cabinets = new CabinetsService({
    orm,
    log: createLogger('test', 'silent'),
    topic,
    auditor,
    onEventsRecorded: () => undefined,
  });
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null = null): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId: randomUUID(), role, cabinetId, patientId: role === 'PATIENT' ? randomUUID() : null },
});
const admin = () => as('ADMIN');

const uniqueName = (prefix = 'Cabinet') => `${prefix} ${randomUUID().slice(0, 8)}`;
const input = (overrides: Partial<CabinetInput> = {}): CabinetInput => ({
  name: uniqueName(),
  specialty: 'Médecine générale',
  address: { street: '12 rue des Lilas', postalCode: '75019', city: 'Paris', country: 'FR' },
  phone: '+33 1 23 45 67 89',
  email: 'accueil@lilas.example',
  logoUrl: 'https://cdn.example/lilas.png',
  openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '12:00' }] }],
  timeZone: 'Europe/Paris',
  ...overrides,
});
/** A random RPPS number with a valid Luhn key. */
const rpps = (): string => {
  const payload = Array.from({ length: 10 }, () => randomInt(10)).join('');
  return `${payload}${luhnCheckDigit(payload)}`;
};

/** The events of this run about a practice, oldest first. */
async function eventsOf(cabinetId: string): Promise<EventEnvelope[]> {
  const rows = await sql<{ payload: EventEnvelope }>(
    orm.em.fork(),
    'select payload from outbox_event where topic = ? and key = ? order by occurred_at, id',
    [topic, cabinetId],
  );
  return rows.map((row) => row.payload);
}

/** The audit records one request left. */
async function auditOf(caller: Caller): Promise<AccessAudited[]> {
  const rows = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event
     where topic = ? and type = ? and payload->'data'->>'requestId' = ? order by occurred_at, id`,
    [auditTopic, ACCESS_AUDITED, caller.requestId],
  );
  return rows.map((row) => row.payload.data);
}

const fails = (code: ErrorCode, field?: string) => (error: unknown) => {
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.code, code, error.message);
  if (field) assert.equal(error.details.field, field);
  return true;
};

test('an administrator creates a practice; the event and the audit record are written with it', async () => {
  const caller = admin();
  const created = await cabinets.create(caller, input({ name: `  Cabinet   du Parc ${randomUUID().slice(0, 8)}` }));
  assert.match(created.name, /^Cabinet du Parc [0-9a-f]{8}$/);
  assert.equal(created.active, true);
  assert.deepEqual(created.address, { street: '12 rue des Lilas', postalCode: '75019', city: 'Paris', country: 'FR' });

  const events = await eventsOf(created.id);
  assert.deepEqual(
    events.map((event) => event.type),
    [CABINET_CREATED],
  );
  const { id, ...rest } = created;
  assert.deepEqual(events[0]?.data, { cabinetId: id, ...rest });
  assert.equal(events[0]?.cabinetId, created.id);
  assert.equal(events[0]?.actor?.userId, caller.identity?.userId);

  assert.deepEqual(
    (await auditOf(caller)).map(({ action, entity, entityId, outcome, service }) => ({
      action,
      entity,
      entityId,
      outcome,
      service,
    })),
    [{ action: 'createCabinet', entity: 'Cabinet', entityId: created.id, outcome: 'ALLOWED', service: 'cabinets' }],
  );
  assert.deepEqual(await cabinets.byId(admin(), created.id), created);
});

test('names are unique ignoring case; a refused write leaves neither event nor audit record', async () => {
  const name = uniqueName('Cabinet Unique');
  const first = await cabinets.create(admin(), input({ name }));
  const duplicate = admin();
  await assert.rejects(cabinets.create(duplicate, input({ name: name.toUpperCase() })), fails('CONFLICT', 'name'));
  assert.deepEqual(await auditOf(duplicate), [], 'the rolled back create left no audit record');

  const other = await cabinets.create(admin(), input());
  const rename = admin();
  await assert.rejects(cabinets.update(rename, other.id, { name: name.toLowerCase() }), fails('CONFLICT', 'name'));
  assert.deepEqual(await auditOf(rename), []);
  assert.deepEqual(
    (await eventsOf(other.id)).map((event) => event.type),
    [CABINET_CREATED],
    'no CabinetUpdated for the rolled back rename',
  );
  assert.equal((await cabinets.byId(admin(), first.id)).name, name);
});

test('an edit changes only what it names and announces time zone and opening hours', async () => {
  const created = await cabinets.create(admin(), input());
  const hours = [
    { weekday: 'TUESDAY', intervals: [{ opens: '14:00', closes: '19:00' }] },
    {
      weekday: 'MONDAY',
      intervals: [
        { opens: '14:00', closes: '18:00' },
        { opens: '08:00', closes: '12:00' },
      ],
    },
  ];
  const caller = admin();
  const updated = await cabinets.update(caller, created.id, {
    timeZone: 'America/Martinique',
    openingHours: hours,
    logoUrl: null,
  });
  assert.deepEqual(updated, {
    ...created,
    timeZone: 'America/Martinique',
    logoUrl: null,
    openingHours: [
      {
        weekday: 'MONDAY',
        intervals: [
          { opens: '08:00', closes: '12:00' },
          { opens: '14:00', closes: '18:00' },
        ],
      },
      { weekday: 'TUESDAY', intervals: [{ opens: '14:00', closes: '19:00' }] },
    ],
  });
  const events = await eventsOf(created.id);
  assert.deepEqual(
    events.map((event) => event.type),
    [CABINET_CREATED, CABINET_UPDATED],
  );
  const data = events[1]?.data as CabinetUpdated;
  assert.deepEqual(data.changed, ['logoUrl', 'openingHours', 'timeZone']);
  assert.equal(data.timeZone, 'America/Martinique');
  assert.deepEqual(data.openingHours, updated.openingHours);
  assert.equal((await auditOf(caller))[0]?.action, 'updateCabinet');

  await assert.rejects(
    cabinets.update(admin(), created.id, {
      openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '09:00', closes: '08:00' }] }],
    }),
    fails('BAD_USER_INPUT', 'openingHours.MONDAY[0].closes'),
  );
  await assert.rejects(
    cabinets.update(admin(), created.id, { timeZone: 'Mars/Olympus' }),
    fails('BAD_USER_INPUT', 'timeZone'),
  );
  await cabinets.update(admin(), created.id, { timeZone: 'America/Martinique' });
  assert.equal((await eventsOf(created.id)).length, 2, 'an edit that changes nothing announces nothing');
  await assert.rejects(cabinets.update(admin(), randomUUID(), { name: 'Nowhere' }), fails('NOT_FOUND'));
});

test('deactivation is soft, detaches the practitioners, and is announced', async () => {
  const created = await cabinets.create(admin(), input());
  const practitioner = await cabinets.attachPractitioner(admin(), {
    cabinetId: created.id,
    userId: randomUUID(),
    specialty: 'Pédiatrie',
    rpps: rpps(),
  });
  const caller = admin();
  const deactivated = await cabinets.deactivate(caller, created.id);
  assert.equal(deactivated.active, false);
  assert.deepEqual(
    (await eventsOf(created.id)).map((event) => event.type).sort(),
    [CABINET_CREATED, CABINET_DEACTIVATED, PRACTITIONER_ATTACHED, PRACTITIONER_DETACHED].sort(),
  );
  assert.deepEqual(
    (await auditOf(caller)).map((record) => [record.action, record.entityId]).sort(),
    [
      ['deactivateCabinet', created.id],
      ['detachPractitioner', practitioner.id],
    ].sort(),
  );
  assert.equal((await cabinets.practitionersByIds(admin(), [practitioner.id])).get(practitioner.id)?.active, false);

  const all = await cabinets.list(admin(), { includeInactive: true });
  assert.ok(all.some((cabinet) => cabinet.id === created.id));
  assert.ok(!(await cabinets.list(admin(), {})).some((cabinet) => cabinet.id === created.id));
  await assert.rejects(cabinets.deactivate(admin(), created.id), fails('CONFLICT'));
  await assert.rejects(cabinets.update(admin(), created.id, { specialty: 'Cardiologie' }), fails('CONFLICT'));
  await assert.rejects(
    cabinets.attachPractitioner(admin(), {
      cabinetId: created.id,
      userId: randomUUID(),
      specialty: 'ORL',
      rpps: rpps(),
    }),
    fails('CONFLICT'),
  );
});

test('only administrators write: practice staff and patients are FORBIDDEN, and it is audited', async () => {
  const cabinet = await cabinets.create(admin(), input());
  for (const role of ['DOCTOR', 'SECRETARY', 'PATIENT'] as const) {
    const attempts: [string, (caller: Caller) => Promise<unknown>][] = [
      ['createCabinet', (caller) => cabinets.create(caller, input())],
      ['updateCabinet', (caller) => cabinets.update(caller, cabinet.id, { name: 'Taken over' })],
      ['deactivateCabinet', (caller) => cabinets.deactivate(caller, cabinet.id)],
      [
        'attachPractitioner',
        (caller) =>
          cabinets.attachPractitioner(caller, {
            cabinetId: cabinet.id,
            userId: randomUUID(),
            specialty: 'ORL',
            rpps: 'not checked',
          }),
      ],
      ['detachPractitioner', (caller) => cabinets.detachPractitioner(caller, randomUUID())],
    ];
    for (const [action, attempt] of attempts) {
      const caller = as(role, role === 'PATIENT' ? null : cabinet.id);
      await assert.rejects(attempt(caller), fails('FORBIDDEN'), `${role} ${action}`);
      assert.deepEqual(
        (await auditOf(caller)).map(({ action, outcome, reason, role }) => ({ action, outcome, reason, role })),
        [{ action, outcome: 'DENIED', reason: 'FORBIDDEN', role }],
      );
    }
  }
  const anonymous: Caller = { requestId: randomUUID(), clientAddress: null, identity: null };
  await assert.rejects(cabinets.create(anonymous, input()), fails('UNAUTHENTICATED'));
  assert.deepEqual(
    (await eventsOf(cabinet.id)).map((event) => event.type),
    [CABINET_CREATED],
  );
});

test('practice staff read their own practice only; another practice is NOT_FOUND, audited', async () => {
  const mine = await cabinets.create(admin(), input());
  const theirs = await cabinets.create(admin(), input());
  for (const role of ['DOCTOR', 'SECRETARY'] as const) {
    const staff = as(role, mine.id);
    assert.deepEqual(await cabinets.mine(staff), mine);
    assert.deepEqual(await cabinets.byId(staff, mine.id), mine);
    assert.deepEqual(await cabinets.list(staff, { includeInactive: true }), [mine]);

    const prying = as(role, mine.id);
    await assert.rejects(cabinets.byId(prying, theirs.id), fails('NOT_FOUND'));
    assert.deepEqual(
      (await auditOf(prying)).map(({ entityId, outcome, reason }) => ({ entityId, outcome, reason })),
      [{ entityId: theirs.id, outcome: 'DENIED', reason: 'NOT_FOUND' }],
    );
    await assert.rejects(cabinets.byId(as(role, mine.id), randomUUID()), fails('NOT_FOUND'));
  }
  const everything = await cabinets.list(admin(), {});
  assert.ok([mine.id, theirs.id].every((id) => everything.some((cabinet) => cabinet.id === id)));
  assert.deepEqual(await cabinets.byId(admin(), theirs.id), theirs);

  const patient = as('PATIENT', mine.id);
  await assert.rejects(cabinets.byId(patient, mine.id), fails('FORBIDDEN'));
  assert.equal((await auditOf(patient))[0]?.outcome, 'DENIED');
  await assert.rejects(cabinets.list(as('PATIENT', mine.id), {}), fails('FORBIDDEN'));
  await assert.rejects(cabinets.mine(admin()), fails('FORBIDDEN'), 'an administrator belongs to no practice');
});

test('practitioners: attached once per RPPS and per account, validated, detached softly', async () => {
  const cabinet = await cabinets.create(admin(), input());
  const other = await cabinets.create(admin(), input());
  const userId = randomUUID();
  const number = rpps();
  const caller = admin();
  const attached = await cabinets.attachPractitioner(caller, {
    cabinetId: cabinet.id,
    userId,
    specialty: ' Cardiologie ',
    rpps: `${number.slice(0, 5)} ${number.slice(5)}`,
  });
  assert.deepEqual(
    { ...attached, id: undefined },
    { id: undefined, cabinetId: cabinet.id, userId, specialty: 'Cardiologie', rpps: number, active: true },
  );
  const events = await eventsOf(cabinet.id);
  assert.deepEqual(events[1]?.data, {
    practitionerId: attached.id,
    cabinetId: cabinet.id,
    userId,
    specialty: 'Cardiologie',
    rpps: number,
  });
  assert.equal(events[1]?.type, PRACTITIONER_ATTACHED);
  assert.equal((await auditOf(caller))[0]?.entityId, attached.id);

  const attach = (overrides: Partial<Parameters<CabinetsService['attachPractitioner']>[1]>) =>
    cabinets.attachPractitioner(admin(), {
      cabinetId: other.id,
      userId: randomUUID(),
      specialty: 'Cardiologie',
      rpps: rpps(),
      ...overrides,
    });
  await assert.rejects(attach({ rpps: number }), fails('CONFLICT', 'rpps'));
  await assert.rejects(attach({ userId }), fails('CONFLICT', 'userId'));
  const badKey = `${number.slice(0, 10)}${(Number(number[10]) + 1) % 10}`;
  await assert.rejects(attach({ rpps: badKey }), fails('BAD_USER_INPUT', 'rpps'));
  await assert.rejects(attach({ userId: 'someone' }), fails('BAD_USER_INPUT', 'userId'));
  await assert.rejects(attach({ specialty: '' }), fails('BAD_USER_INPUT', 'specialty'));
  const unknown = admin();
  await assert.rejects(attach({ cabinetId: randomUUID() }), fails('NOT_FOUND'));
  await assert.rejects(cabinets.detachPractitioner(unknown, randomUUID()), fails('NOT_FOUND'));
  assert.equal((await auditOf(unknown))[0]?.outcome, 'DENIED');

  assert.deepEqual((await cabinets.practitionersOf(as('DOCTOR', cabinet.id), [cabinet.id, other.id])).get(cabinet.id), [
    attached,
  ]);
  assert.equal(
    (await cabinets.practitionersOf(as('DOCTOR', cabinet.id), [other.id])).size,
    0,
    'staff do not see another practice',
  );
  assert.equal((await cabinets.practitionersByIds(as('SECRETARY', other.id), [attached.id])).size, 0);

  const detached = await cabinets.detachPractitioner(admin(), attached.id);
  assert.equal(detached.active, false);
  assert.equal((await eventsOf(cabinet.id)).at(-1)?.type, PRACTITIONER_DETACHED);
  await assert.rejects(cabinets.detachPractitioner(admin(), attached.id), fails('CONFLICT'));
  assert.deepEqual((await cabinets.practitionersOf(admin(), [cabinet.id])).get(cabinet.id), undefined);
  // Past appointments still name the doctor who left: by account, the latest attachment answers.
  const left = (await cabinets.practitionersByUserIds(as('SECRETARY', cabinet.id), [userId])).get(userId);
  assert.deepEqual([left?.id, left?.active], [attached.id, false]);
  const moved = await attach({ userId, rpps: number });
  assert.equal(moved.cabinetId, other.id, 'once detached, the doctor can be attached elsewhere');
  assert.equal((await cabinets.practitionersByUserIds(admin(), [userId])).get(userId)?.id, moved.id, 'the current one');
  assert.equal(
    (await cabinets.practitionersByUserIds(as('SECRETARY', cabinet.id), [userId])).get(userId)?.id,
    attached.id,
    'each practice sees its own',
  );
});

test('through GraphQL: entity references resolve in batches and respect the practice boundary', async () => {
  // Counts the service calls the resolvers make, to see the batching.
  const calls: string[] = [];
  const counted = new Proxy(cabinets, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(counted) }]);
  const mine = await cabinets.create(admin(), input());
  const theirs = await cabinets.create(admin(), input());
  const practitioner = await cabinets.attachPractitioner(admin(), {
    cabinetId: mine.id,
    userId: randomUUID(),
    specialty: 'Dermatologie',
    rpps: rpps(),
  });
  const colleague = await cabinets.attachPractitioner(admin(), {
    cabinetId: mine.id,
    userId: randomUUID(),
    specialty: 'Pédiatrie',
    rpps: rpps(),
  });
  const run = (caller: Caller, source: string, variableValues: Record<string, unknown> = {}) =>
    execute({
      schema,
      document: parse(source),
      variableValues,
      contextValue: { caller, log: createLogger('test', 'silent') } satisfies RequestContext,
    });

  const entities = await run(
    as('SECRETARY', mine.id),
    `query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Cabinet { id name practitioners { id rpps cabinet { id timeZone } } }
        ... on Practitioner { id specialty cabinet { name } }
      }
    }`,
    {
      representations: [
        { __typename: 'Cabinet', id: mine.id },
        { __typename: 'Cabinet', id: theirs.id },
        { __typename: 'Practitioner', id: practitioner.id },
        { __typename: 'Practitioner', userId: colleague.userId },
      ],
    },
  );
  assert.deepEqual(JSON.parse(JSON.stringify(entities.data)), {
    _entities: [
      {
        id: mine.id,
        name: mine.name,
        practitioners: [
          { id: practitioner.id, rpps: practitioner.rpps, cabinet: { id: mine.id, timeZone: 'Europe/Paris' } },
          { id: colleague.id, rpps: colleague.rpps, cabinet: { id: mine.id, timeZone: 'Europe/Paris' } },
        ],
      },
      null,
      { id: practitioner.id, specialty: 'Dermatologie', cabinet: { name: mine.name } },
      { id: colleague.id, specialty: 'Pédiatrie', cabinet: { name: mine.name } },
    ],
  });
  assert.deepEqual(
    calls.sort(),
    ['byIds', 'practitionersByIds', 'practitionersByUserIds', 'practitionersOf'],
    'one call per kind for the whole request',
  );
  assert.deepEqual(
    entities.errors?.map((error) => [error.path?.join('.'), (error.originalError as DomainError).code]),
    [['_entities.1', 'NOT_FOUND']],
  );

  const created = await run(
    admin(),
    `mutation($input: CreateCabinetInput!) { createCabinet(input: $input) { id name openingHours { weekday intervals { opens closes } } address { country } } }`,
    {
      input: {
        ...input(),
        openingHours: [{ weekday: 'FRIDAY', intervals: [{ opens: '09:00', closes: '17:00' }] }],
      },
    },
  );
  assert.equal(created.errors, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(created.data)).createCabinet.openingHours, [
    { weekday: 'FRIDAY', intervals: [{ opens: '09:00', closes: '17:00' }] },
  ]);
  const myCabinet = await run(as('DOCTOR', mine.id), '{ myCabinet { id } cabinets { id } }');
  assert.deepEqual(JSON.parse(JSON.stringify(myCabinet.data)), {
    myCabinet: { id: mine.id },
    cabinets: [{ id: mine.id }],
  });
});
