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
import type { MikroORM } from '@cabinet/platform/database';
import { type EventEnvelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Logger } from '@cabinet/platform/logger';
import { Projection as EventProjection, type ProjectionChange } from '@cabinet/platform/projection';
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
export class Projection extends EventProjection {
  constructor(orm: MikroORM, log: Logger) {
    super({ orm, log, consumer: CONSUMER, changeFor });
  }
}

type Change = ProjectionChange;

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
