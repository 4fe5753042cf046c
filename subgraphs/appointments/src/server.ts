import { readFileSync } from 'node:fs';
import { APPOINTMENTS_TOPIC } from '@cabinet/platform/appointment-events';
import { CABINETS_TOPIC } from '@cabinet/platform/cabinet-events';
import {
  CONSULTATION_SIGNED,
  CONSULTATIONS_TOPIC,
  type ConsultationSigned,
} from '@cabinet/platform/consultation-events';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { consumeEvents } from '@cabinet/platform/event-consumer';
import { type EventEnvelope, TOPICS } from '@cabinet/platform/events';
import { createLogger, type Logger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { AgendaReader } from './agenda.ts';
import type { AppointmentsConfig } from './config.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { createResolvers } from './resolvers.ts';
import { AppointmentsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Publishes due reminders every `intervalMs`, one round at a time; what a failed round missed, the next one sends. */
function startReminderLoop(appointments: AppointmentsService, intervalMs: number, log: Logger) {
  let round: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    round ??= appointments
      .sendDueReminders()
      .catch((error: unknown) => log.warn({ err: error }, 'reminder round failed'))
      .finally(() => {
        round = null;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await round;
    },
  };
}

/** Starts the appointments subgraph: database, outbox relay to Kafka, HTTP and WebSocket (waiting room). */
export async function startAppointmentsService(
  config: AppointmentsConfig,
  hooks: DatabaseHooks = {},
): Promise<RunningServer> {
  const log = createLogger('appointments', config.LOG_LEVEL);
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [...ENTITIES, OutboxEvent],
    migrations,
    onQuery: hooks.onQuery,
  });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'appointments',
    orm,
    log,
    config,
    topic: APPOINTMENTS_TOPIC,
  });
  const appointments = new AppointmentsService({
    orm,
    log,
    topic,
    auditor,
    onEventsRecorded: nudge,
    reminderLeadMinutes: config.REMINDER_LEAD_MINUTES,
    projectionWaitMs: config.PROJECTION_WAIT_MS,
  });
  const projection = new Projection(orm, log);
  const consumer = consumeEvents({
    client: 'appointments-projection',
    config,
    topics: [CABINETS_TOPIC, TOPICS.patients, CONSULTATIONS_TOPIC],
    log,
    handle: async (event) => {
      if (event.type === CONSULTATION_SIGNED)
        await appointments.onConsultationSigned(event as EventEnvelope<ConsultationSigned>);
      else await projection.apply(event);
    },
  });
  const reminders = startReminderLoop(appointments, config.REMINDER_POLL_MS, log);
  const server = await startSubgraph({
    name: 'appointments',
    typeDefs,
    resolvers: createResolvers(appointments, new AgendaReader({ orm, auditor })),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
    subscriptions: true,
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await consumer.stop();
      await reminders.stop();
      await publishing.stop();
      await orm.close();
    },
  };
}
