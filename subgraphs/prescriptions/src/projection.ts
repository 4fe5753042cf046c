import {
  CABINET_CREATED,
  CABINET_DEACTIVATED,
  CABINET_UPDATED,
  type CabinetDeactivated,
  type CabinetSnapshot,
  PRACTITIONER_ATTACHED,
  PRACTITIONER_DETACHED,
  type PractitionerAttached,
  type PractitionerDetached,
} from '@cabinet/platform/cabinet-events';
import { CONSULTATION_OPENED, type ConsultationOpened } from '@cabinet/platform/consultation-events';
import type { MikroORM } from '@cabinet/platform/database';
import {
  type EventEnvelope,
  PATIENT_REGISTERED,
  PATIENT_UPDATED,
  type PatientRegistered,
  type PatientUpdated,
  STAFF_PROFILE_CHANGED,
  type StaffProfileChanged,
} from '@cabinet/platform/events';
import type { Logger } from '@cabinet/platform/logger';
import { Projection as EventProjection, type ProjectionChange } from '@cabinet/platform/projection';
import {
  KnownConsultation,
  KnownPatient,
  KnownPractice,
  KnownPractitioner,
  StaffProfile,
} from './persistence/entities.ts';

const CONSUMER = 'prescriptions-projection';

/**
 * The birth date printed on a prescription: the patients events do not carry it today; taken from
 * a `birthDate` (YYYY-MM-DD) as soon as one does.
 */
interface WithBirthDate {
  birthDate?: string | null;
}
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const birthDateOf = (data: WithBirthDate): string | null =>
  data.birthDate && DATE.test(data.birthDate) ? data.birthDate : null;

/**
 * Keeps what the prescriptions subgraph knows of consultations, practices, practitioners, staff
 * profiles and patients, from the events of the subgraphs that own them: each event applied once
 * (inbox), in the order of its aggregate (one partition per key).
 */
export class Projection extends EventProjection {
  constructor(orm: MikroORM, log: Logger) {
    super({ orm, log, consumer: CONSUMER, changeFor });
  }
}

type Change = ProjectionChange;

function changeFor(event: EventEnvelope): Change | null {
  switch (event.type) {
    case CONSULTATION_OPENED: {
      const { consultationId, cabinetId, patientId, practitionerId, openedAt } = event.data as ConsultationOpened;
      return (em, at) =>
        em.upsert(KnownConsultation, {
          consultationId,
          cabinetId,
          patientId,
          practitionerId,
          openedAt: new Date(openedAt),
          updatedAt: at,
        });
    }
    case CABINET_CREATED:
    case CABINET_UPDATED: {
      const { cabinetId, name, address, phone, timeZone, active } = event.data as CabinetSnapshot;
      const addressLines = [address.street, `${address.postalCode} ${address.city}`];
      return (em, at) =>
        em.upsert(KnownPractice, { cabinetId, name, addressLines, phone, timeZone, active, updatedAt: at });
    }
    case CABINET_DEACTIVATED: {
      const { cabinetId } = event.data as CabinetDeactivated;
      return (em, at) => em.nativeUpdate(KnownPractice, { cabinetId }, { active: false, updatedAt: at });
    }
    case PRACTITIONER_ATTACHED: {
      const { userId, cabinetId, specialty, rpps } = event.data as PractitionerAttached;
      return (em, at) =>
        em.upsert(KnownPractitioner, { userId, cabinetId, specialty, rpps, active: true, updatedAt: at });
    }
    case PRACTITIONER_DETACHED: {
      const { userId, cabinetId } = event.data as PractitionerDetached;
      return (em, at) => em.nativeUpdate(KnownPractitioner, { userId, cabinetId }, { active: false, updatedAt: at });
    }
    case STAFF_PROFILE_CHANGED: {
      const { userId, role, cabinetId, name, signature } = event.data as StaffProfileChanged;
      return (em, at) => em.upsert(StaffProfile, { userId, role, cabinetId, name, signature, updatedAt: at });
    }
    case PATIENT_REGISTERED: {
      const data = event.data as PatientRegistered & WithBirthDate;
      const birthDate = birthDateOf(data);
      return (em, at) =>
        em.upsert(KnownPatient, {
          patientId: data.patientId,
          cabinetId: data.cabinetId,
          displayName: data.displayName,
          birthDate,
          updatedAt: at,
        });
    }
    case PATIENT_UPDATED: {
      const data = event.data as PatientUpdated & WithBirthDate;
      const birthDate = birthDateOf(data);
      return (em, at) =>
        em.upsert(KnownPatient, {
          patientId: data.patientId,
          cabinetId: data.cabinetId,
          displayName: data.displayName,
          ...(birthDate ? { birthDate } : {}),
          updatedAt: at,
        });
    }
    default:
      return null;
  }
}
