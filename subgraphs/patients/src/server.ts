import { readFileSync } from 'node:fs';
import { FieldCipher } from '@cabinet/platform/crypto';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { TOPICS } from '@cabinet/platform/events';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { AllergiesService } from './allergy-service.ts';
import type { PatientsConfig } from './config.ts';
import { Allergy } from './persistence/allergy.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Patient, PatientNationalId } from './persistence/patient.entity.ts';
import { RecordEntry } from './persistence/record-entry.entity.ts';
import { MedicalRecordService } from './record-service.ts';
import { createResolvers } from './resolvers.ts';
import { PatientsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Starts the patients subgraph: database, outbox relay to Kafka, HTTP. */
export async function startPatientsService(config: PatientsConfig, hooks: DatabaseHooks = {}): Promise<RunningServer> {
  const log = createLogger('patients', config.LOG_LEVEL);
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, RecordEntry, OutboxEvent],
    migrations,
    onQuery: hooks.onQuery,
  });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'patients',
    orm,
    log,
    config,
    topic: TOPICS.patients,
  });
  const patients = new PatientsService({
    orm,
    log,
    topic,
    auditor,
    cipher: new FieldCipher(config.DATA_ENCRYPTION_KEY),
    onEventsRecorded: nudge,
  });
  const allergies = new AllergiesService({ orm, log, topic, auditor, onEventsRecorded: nudge });
  const records = new MedicalRecordService({ orm, log, topic, auditor, onEventsRecorded: nudge });
  const server = await startSubgraph({
    name: 'patients',
    typeDefs,
    resolvers: createResolvers(patients, allergies, records),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await publishing.stop();
      await orm.close();
    },
  };
}
