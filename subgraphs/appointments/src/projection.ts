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
import type { MikroORM } from '@cabinet/platform/database';
import { type EventEnvelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Logger } from '@cabinet/platform/logger';
import { Projection as EventProjection, type ProjectionChange } from '@cabinet/platform/projection';
import { KnownPatient, KnownPractice, KnownPractitioner } from './persistence/entities.ts';

const CONSUMER = 'appointments-projection';

/**
 * Keeps what the appointments subgraph knows of practices, practitioners and patients, from the
 * events of the cabinets and patients subgraphs: each event applied once (inbox), in the order of
 * its aggregate (one partition per key).
 */
export class Projection extends EventProjection {
  constructor(orm: MikroORM, log: Logger) {
    super({ orm, log, consumer: CONSUMER, changeFor });
  }
}

type Change = ProjectionChange;

function changeFor(event: EventEnvelope): Change | null {
  switch (event.type) {
    case CABINET_CREATED:
    case CABINET_UPDATED: {
      const { cabinetId, timeZone, active } = event.data as CabinetSnapshot;
      return (em, at) => em.upsert(KnownPractice, { cabinetId, timeZone, active, updatedAt: at });
    }
    case CABINET_DEACTIVATED: {
      const { cabinetId } = event.data as CabinetDeactivated;
      return (em, at) => em.nativeUpdate(KnownPractice, { cabinetId }, { active: false, updatedAt: at });
    }
    case PRACTITIONER_ATTACHED: {
      const { userId, cabinetId } = event.data as PractitionerAttached;
      return (em, at) => em.upsert(KnownPractitioner, { userId, cabinetId, active: true, updatedAt: at });
    }
    case PRACTITIONER_DETACHED: {
      const { userId, cabinetId } = event.data as PractitionerDetached;
      return (em, at) => em.nativeUpdate(KnownPractitioner, { userId, cabinetId }, { active: false, updatedAt: at });
    }
    case PATIENT_REGISTERED: {
      const { patientId, cabinetId } = event.data as PatientRegistered;
      return (em, at) => em.upsert(KnownPatient, { patientId, cabinetId, updatedAt: at });
    }
    default:
      return null;
  }
}
