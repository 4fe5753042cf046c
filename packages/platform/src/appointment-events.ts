/** Event contracts of the appointments subgraph, published on `cabinet.appointments.v1` (key: appointment id). */
export const APPOINTMENTS_TOPIC = 'cabinet.appointments.v1';

export const APPOINTMENT_BOOKED = 'appointments.AppointmentBooked.v1';
/** An appointment was booked (PENDING or BOOKED). */
export interface AppointmentBooked {
  appointmentId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  appointmentTypeId: string;
  /** ISO 8601, UTC. */
  startsAt: string;
  endsAt: string;
  status: string;
  /** Booked over another appointment, by an explicit decision. */
  overbooked: boolean;
}

export const APPOINTMENT_RESCHEDULED = 'appointments.AppointmentRescheduled.v1';
/** An appointment moved to another time (possibly another day); the previous time is free again. */
export interface AppointmentRescheduled {
  appointmentId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  previousStartsAt: string;
  previousEndsAt: string;
  startsAt: string;
  endsAt: string;
}

export const APPOINTMENT_CANCELLED = 'appointments.AppointmentCancelled.v1';
/**
 * An appointment was cancelled; its time is free again. The reason stays in the subgraph (it may
 * say something about the patient's health), consumers get only the fact.
 */
export interface AppointmentCancelled {
  appointmentId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  startsAt: string;
  endsAt: string;
}
