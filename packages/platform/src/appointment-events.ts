/** Event contracts of the appointments subgraph (what it promises its consumers), published on `cabinet.appointments.v1` (key: appointment id). */
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
  /** IANA time zone of the practitioner's agenda, to show the times to people. */
  timeZone: string;
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
  /** IANA time zone of the practitioner's agenda, to show the times to people. */
  timeZone: string;
}

export const APPOINTMENT_CANCELLED = 'appointments.AppointmentCancelled.v1';
/**
 * An appointment was cancelled; its time is free again. The reason stays in the subgraph (it may
 * say something about the patient's health), consumers get only the fact.
 */
export type AppointmentCancelled = AppointmentFacts;

/** What every event of an appointment's day carries: enough to notify without calling back. */
export interface AppointmentFacts {
  appointmentId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  /** ISO 8601, UTC. */
  startsAt: string;
  endsAt: string;
  /** IANA time zone of the practitioner's agenda, to show the times to people. */
  timeZone: string;
}

export const APPOINTMENT_CONFIRMED = 'appointments.AppointmentConfirmed.v1';
/** A PENDING appointment was confirmed (BOOKED). */
export type AppointmentConfirmed = AppointmentFacts;

export const APPOINTMENT_CHECKED_IN = 'appointments.AppointmentCheckedIn.v1';
/** The patient arrived and is in the practitioner's waiting room. */
export interface AppointmentCheckedIn extends AppointmentFacts {
  arrivedAt: string;
}

export const APPOINTMENT_CALLED = 'appointments.AppointmentCalled.v1';
/** The practitioner called the patient in (IN_CONSULTATION). */
export interface AppointmentCalled extends AppointmentFacts {
  calledAt: string;
}

export const APPOINTMENT_COMPLETED = 'appointments.AppointmentCompleted.v1';
/** The consultation of the appointment is over (FULFILLED). */
export type AppointmentCompleted = AppointmentFacts;

export const APPOINTMENT_NO_SHOW = 'appointments.AppointmentNoShow.v1';
/** The patient did not come; the time is free again. */
export type AppointmentNoShow = AppointmentFacts;

export const APPOINTMENT_REMINDER_DUE = 'appointments.AppointmentReminderDue.v1';
/**
 * The day-before reminder of an appointment is due: published once per appointment and time
 * (a rescheduled appointment gets a reminder for its new time), never for a cancelled one.
 */
export interface AppointmentReminderDue extends AppointmentFacts {
  reminderId: string;
}
