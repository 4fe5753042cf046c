import {
  APPOINTMENT_BOOKED,
  APPOINTMENT_CALLED,
  APPOINTMENT_CANCELLED,
  APPOINTMENT_CHECKED_IN,
  APPOINTMENT_COMPLETED,
  APPOINTMENT_CONFIRMED,
  APPOINTMENT_NO_SHOW,
  APPOINTMENT_RESCHEDULED,
  type AppointmentBooked,
  type AppointmentFacts,
} from '@cabinet/platform/appointment-events';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { type EventEnvelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import { claimEvent } from '@cabinet/platform/inbox';
import type { Logger } from '@cabinet/platform/logger';
import { KnownAppointment, KnownPatient } from './persistence/entities.ts';

const CONSUMER = 'consultations-projection';

/** The status an appointment is in after each of its events (a reschedule keeps it). */
const STATUS_AFTER: Readonly<Record<string, string>> = {
  [APPOINTMENT_CONFIRMED]: 'BOOKED',
  [APPOINTMENT_CANCELLED]: 'CANCELLED',
  [APPOINTMENT_NO_SHOW]: 'NO_SHOW',
  [APPOINTMENT_CHECKED_IN]: 'ARRIVED',
  [APPOINTMENT_CALLED]: 'IN_CONSULTATION',
  [APPOINTMENT_COMPLETED]: 'FULFILLED',
};

/**
 * Keeps what the consultations subgraph knows of patients and appointments, from the events of
 * the patients and appointments subgraphs: each event applied once (inbox), in the order of its
 * aggregate (one partition per key).
 */
export class Projection {
  readonly #orm: MikroORM;
  readonly #log: Logger;

  constructor(orm: MikroORM, log: Logger) {
    this.#orm = orm;
    this.#log = log;
  }

  /** Applies one event; returns whether it changed anything (false: not relevant, or already applied). */
  async apply(event: EventEnvelope): Promise<boolean> {
    const change = changeFor(event);
    if (!change) return false;
    return this.#orm.em.fork().transactional(async (em) => {
      if (!(await claimEvent(em, CONSUMER, event.id))) return false;
      await change(em, new Date(event.occurredAt));
      this.#log.debug({ eventId: event.id, type: event.type }, 'projection updated');
      return true;
    });
  }
}

type Change = (em: EntityManager, at: Date) => Promise<unknown>;

function changeFor(event: EventEnvelope): Change | null {
  switch (event.type) {
    case PATIENT_REGISTERED: {
      const { patientId, cabinetId } = event.data as PatientRegistered;
      return (em, at) => em.upsert(KnownPatient, { patientId, cabinetId, updatedAt: at });
    }
    case APPOINTMENT_BOOKED: {
      const { appointmentId, cabinetId, patientId, practitionerId, status } = event.data as AppointmentBooked;
      return (em, at) =>
        em.upsert(KnownAppointment, { appointmentId, cabinetId, patientId, practitionerId, status, updatedAt: at });
    }
    case APPOINTMENT_RESCHEDULED:
      return null;
    default: {
      const status = STATUS_AFTER[event.type];
      if (!status) return null;
      const { appointmentId, cabinetId, patientId, practitionerId } = event.data as AppointmentFacts;
      return (em, at) =>
        em.upsert(KnownAppointment, { appointmentId, cabinetId, patientId, practitionerId, status, updatedAt: at });
    }
  }
}
