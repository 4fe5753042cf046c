// Starts the whole system in one process: every subgraph on its own port with its own database,
// and the router in front ("monolith mode"). Used by `npm start` and by the end-to-end tests;
// each subgraph also runs alone from its own src/index.ts.

import { loadRouterConfig } from '../router/src/config.ts';
import { startRouter } from '../router/src/server.ts';
import { loadAppointmentsConfig } from '../subgraphs/appointments/src/config.ts';
import { startAppointmentsService } from '../subgraphs/appointments/src/server.ts';
import { loadAuditConfig } from '../subgraphs/audit/src/config.ts';
import { startAuditService } from '../subgraphs/audit/src/server.ts';
import { loadCabinetsConfig } from '../subgraphs/cabinets/src/config.ts';
import { startCabinetsService } from '../subgraphs/cabinets/src/server.ts';
import { loadConsultationsConfig } from '../subgraphs/consultations/src/config.ts';
import { startConsultationsService } from '../subgraphs/consultations/src/server.ts';
import { loadNotificationsConfig } from '../subgraphs/notifications/src/config.ts';
import { startNotificationsService } from '../subgraphs/notifications/src/server.ts';
import { loadPatientsConfig } from '../subgraphs/patients/src/config.ts';
import { startPatientsService } from '../subgraphs/patients/src/server.ts';
import { loadPrescriptionsConfig } from '../subgraphs/prescriptions/src/config.ts';
import { startPrescriptionsService } from '../subgraphs/prescriptions/src/server.ts';
import { loadUsersConfig } from '../subgraphs/users/src/config.ts';
import { startUsersService } from '../subgraphs/users/src/server.ts';

export interface SystemOptions {
  routerSecret: string;
  /** postgresql://user@host:port (no database): each subgraph gets `<prefix>_<name>` on it. */
  postgresUrl: string;
  databasePrefix: string;
  kafkaBrokers: string;
  kafkaGroupId?: string;
  admin: { email: string; password: string; cabinetId: string };
  jwtPrivateKey?: string;
  /** Encrypts national identifiers at rest (32+ characters). */
  dataEncryptionKey: string;
  /** Encrypts the users service's signing keys at rest (32+ characters). */
  keyEncryptionKey: string;
  ports: {
    router: number;
    users: number;
    patients: number;
    notifications: number;
    audit: number;
    cabinets: number;
    appointments: number;
    consultations: number;
    prescriptions: number;
  };
  logLevel?: string;
  nodeEnv?: 'development' | 'test' | 'production';
  /** Any further environment to pass to every service (e.g. ACCESS_TOKEN_TTL_SECONDS). */
  extraEnv?: Record<string, string>;
  /** What tests may observe (subgraph calls, SQL statements); unset in production. */
  observe?: SystemObservers;
}

/** Test-only observers of what a request causes, each told the client request's id. */
export interface SystemObservers {
  /** Every request the router sends to a subgraph. */
  onSubgraphRequest?: (subgraph: string, requestId: string) => void;
  /** Every SQL statement a subgraph runs (users, patients, cabinets, appointments, consultations), with its request if any. */
  onQuery?: (subgraph: string, statement: { sql: string; requestId: string | null }) => void;
}

export interface RunningSystem {
  url: string;
  wsUrl: string;
  subgraphs: Record<
    'users' | 'patients' | 'notifications' | 'audit' | 'cabinets' | 'appointments' | 'consultations' | 'prescriptions',
    string
  >;
  jwksUrl: string;
  stop(): Promise<void>;
}

export const JWT_ISSUER = 'urn:cabinet:users';
export const JWT_AUDIENCE = 'urn:cabinet:api';

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const common = {
    NODE_ENV: options.nodeEnv ?? 'development',
    ROUTER_SECRET: options.routerSecret,
    KAFKA_BROKERS: options.kafkaBrokers,
    LOG_LEVEL: options.logLevel ?? 'info',
    ...options.extraEnv,
  };
  const database = (name: string) => `${options.postgresUrl.replace(/\/$/, '')}/${options.databasePrefix}_${name}`;
  const onQuery = options.observe?.onQuery;
  const hooks = (name: string) =>
    onQuery ? { onQuery: (statement: Parameters<typeof onQuery>[1]) => onQuery(name, statement) } : {};
  const stops: (() => Promise<void>)[] = [];
  try {
    const users = await startUsersService(
      loadUsersConfig({
        ...common,
        PORT: String(options.ports.users),
        DATABASE_URL: database('users'),
        JWT_ISSUER,
        JWT_AUDIENCE,
        JWT_PRIVATE_KEY: options.jwtPrivateKey,
        JWT_KEY_ENCRYPTION_KEY: options.keyEncryptionKey,
        ADMIN_EMAIL: options.admin.email,
        ADMIN_PASSWORD: options.admin.password,
        ADMIN_CABINET_ID: options.admin.cabinetId,
      }),
      hooks('users'),
    );
    stops.push(() => users.stop());
    const patients = await startPatientsService(
      loadPatientsConfig({
        ...common,
        PORT: String(options.ports.patients),
        DATABASE_URL: database('patients'),
        DATA_ENCRYPTION_KEY: options.dataEncryptionKey,
      }),
      hooks('patients'),
    );
    stops.push(() => patients.stop());
    const notifications = await startNotificationsService(
      loadNotificationsConfig({
        ...common,
        PORT: String(options.ports.notifications),
        DATABASE_URL: database('notifications'),
        ...(options.kafkaGroupId ? { KAFKA_GROUP_ID: options.kafkaGroupId } : {}),
      }),
    );
    stops.push(() => notifications.stop());
    const audit = await startAuditService(
      loadAuditConfig({
        ...common,
        PORT: String(options.ports.audit),
        DATABASE_URL: database('audit'),
        ...(options.kafkaGroupId ? { KAFKA_GROUP_ID: `audit-${options.kafkaGroupId}` } : {}),
      }),
    );
    stops.push(() => audit.stop());
    const cabinets = await startCabinetsService(
      loadCabinetsConfig({ ...common, PORT: String(options.ports.cabinets), DATABASE_URL: database('cabinets') }),
      hooks('cabinets'),
    );
    stops.push(() => cabinets.stop());
    const appointments = await startAppointmentsService(
      loadAppointmentsConfig({
        ...common,
        PORT: String(options.ports.appointments),
        DATABASE_URL: database('appointments'),
        ...(options.kafkaGroupId ? { KAFKA_GROUP_ID: `appointments-${options.kafkaGroupId}` } : {}),
      }),
      hooks('appointments'),
    );
    stops.push(() => appointments.stop());
    const consultations = await startConsultationsService(
      loadConsultationsConfig({
        ...common,
        PORT: String(options.ports.consultations),
        DATABASE_URL: database('consultations'),
        ...(options.kafkaGroupId ? { KAFKA_GROUP_ID: `consultations-${options.kafkaGroupId}` } : {}),
      }),
      hooks('consultations'),
    );
    stops.push(() => consultations.stop());
    const prescriptions = await startPrescriptionsService(
      loadPrescriptionsConfig({
        ...common,
        PORT: String(options.ports.prescriptions),
        DATABASE_URL: database('prescriptions'),
        ...(options.kafkaGroupId ? { KAFKA_GROUP_ID: `prescriptions-${options.kafkaGroupId}` } : {}),
      }),
      hooks('prescriptions'),
    );
    stops.push(() => prescriptions.stop());
    const jwksUrl = users.url.replace(/\/graphql$/, '/.well-known/jwks.json');
    const router = await startRouter(
      loadRouterConfig({
        ...common,
        PORT: String(options.ports.router),
        JWKS_URL: jwksUrl,
        JWT_ISSUER,
        JWT_AUDIENCE,
        FORWARD_CLAIMS: 'role,cabinet,patient,sid',
        // Refused requests go to the audit trail through Kafka, like every other audit record.
        DECISION_LOG_KAFKA_BROKERS: options.kafkaBrokers,
        DECISION_LOG_TOPIC_PREFIX: options.extraEnv?.KAFKA_TOPIC_PREFIX ?? '',
        SUBGRAPH_USERS_URL: users.url,
        SUBGRAPH_PATIENTS_URL: patients.url,
        SUBGRAPH_NOTIFICATIONS_URL: notifications.url,
        SUBGRAPH_AUDIT_URL: audit.url,
        SUBGRAPH_CABINETS_URL: cabinets.url,
        SUBGRAPH_APPOINTMENTS_URL: appointments.url,
        SUBGRAPH_CONSULTATIONS_URL: consultations.url,
        SUBGRAPH_PRESCRIPTIONS_URL: prescriptions.url,
      }),
      { onSubgraphRequest: options.observe?.onSubgraphRequest },
    );
    stops.push(() => router.stop());
    return {
      url: router.url,
      wsUrl: router.wsUrl,
      subgraphs: {
        users: users.url,
        patients: patients.url,
        notifications: notifications.url,
        audit: audit.url,
        cabinets: cabinets.url,
        appointments: appointments.url,
        consultations: consultations.url,
        prescriptions: prescriptions.url,
      },
      jwksUrl,
      async stop() {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}
