import {
  APPOINTMENT_BOOKED,
  APPOINTMENT_CALLED,
  APPOINTMENT_CANCELLED,
  APPOINTMENT_CHECKED_IN,
  APPOINTMENT_REMINDER_DUE,
  APPOINTMENT_RESCHEDULED,
  type AppointmentFacts,
  type AppointmentRescheduled,
} from '@cabinet/platform/appointment-events';
import {
  CONSULTATION_SIGNED,
  type ConsultationSigned,
  PRESCRIPTION_ISSUED,
  type PrescriptionIssued,
} from '@cabinet/platform/consultation-events';
import {
  type EventEnvelope,
  MEDICAL_RECORD_UPDATED,
  type MedicalRecordUpdated,
  PATIENT_REGISTERED,
  type PatientRegistered,
} from '@cabinet/platform/events';
import type { Identity, Role } from '@cabinet/platform/identity';

export const NOTIFICATION_KINDS = [
  'PATIENT_REGISTERED',
  'APPOINTMENT_BOOKED',
  'APPOINTMENT_RESCHEDULED',
  'APPOINTMENT_CANCELLED',
  'PATIENT_CHECKED_IN',
  'PATIENT_CALLED',
  'APPOINTMENT_REMINDER',
  'CONSULTATION_SIGNED',
  'PRESCRIPTION_ISSUED',
  'MEDICAL_RECORD_UPDATED',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Who a notification is for, always within its practice: one user (`USER`), all its staff
 * (`STAFF`), its secretaries (`SECRETARIES`), or the account(s) of one patient (`PATIENT`).
 */
export const AUDIENCES = ['USER', 'STAFF', 'SECRETARIES', 'PATIENT'] as const;
export type Audience = (typeof AUDIENCES)[number];
// Practice staff; ADMIN runs the platform and is not the staff of any practice.
const STAFF_ROLES: readonly Role[] = ['DOCTOR', 'SECRETARY'];

export interface NotificationDraft {
  cabinetId: string;
  audience: Audience;
  recipientUserId: string | null;
  /** For the PATIENT audience: the patient file whose accounts see it. */
  recipientPatientId: string | null;
  kind: NotificationKind;
  title: string;
  body: string;
  patientId: string | null;
  appointmentId: string | null;
}

/** Appointment times in notifications are written in the practice's time zone (events carry it). */
const FALLBACK_TIME_ZONE = 'Europe/Paris';
export function localTime(iso: string, timeZone: string | undefined): string {
  const formatted = new Intl.DateTimeFormat('en-GB', {
    timeZone: timeZone ?? FALLBACK_TIME_ZONE,
    weekday: 'short',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
  return formatted.replaceAll(',', '');
}

type Facts = AppointmentFacts & { timeZone?: string };

/** The record's sections, in words a patient reads. */
const SECTION_WORDS: Readonly<Record<string, string>> = {
  ALLERGY: 'allergies',
  MEDICAL_HISTORY: 'medical history',
  SURGICAL_HISTORY: 'surgical history',
  FAMILY_HISTORY: 'family history',
  TREATMENT: 'treatments',
  HABIT: 'habits',
  DOCUMENT: 'documents',
};

/**
 * The people an appointment event concerns: its practitioner (unless they did it themselves), the
 * practice's secretaries, and, when `patient` is given, the patient.
 */
function aboutAppointment(
  event: EventEnvelope,
  kind: NotificationKind,
  title: string,
  staffBody: string,
  patient: { title: string; body: string } | null,
  practitioner = true,
): NotificationDraft[] {
  const data = event.data as Facts;
  const base = {
    cabinetId: data.cabinetId,
    kind,
    patientId: data.patientId,
    appointmentId: data.appointmentId,
    recipientUserId: null,
    recipientPatientId: null,
  };
  const drafts: NotificationDraft[] = [{ ...base, audience: 'SECRETARIES', title, body: staffBody }];
  if (practitioner && event.actor?.userId !== data.practitionerId) {
    drafts.push({ ...base, audience: 'USER', recipientUserId: data.practitionerId, title, body: staffBody });
  }
  if (patient) drafts.push({ ...base, audience: 'PATIENT', recipientPatientId: data.patientId, ...patient });
  return drafts;
}

/** What an event means for people; empty when it means nothing to notify. */
export function notificationsFor(event: EventEnvelope): NotificationDraft[] {
  switch (event.type) {
    case PATIENT_REGISTERED: {
      const data = event.data as PatientRegistered;
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'STAFF',
          recipientUserId: null,
          recipientPatientId: null,
          kind: 'PATIENT_REGISTERED',
          title: 'New patient',
          body: `${data.displayName} was registered.`,
          patientId: data.patientId,
          appointmentId: null,
        },
      ];
    }
    case APPOINTMENT_BOOKED: {
      const when = localTime((event.data as Facts).startsAt, (event.data as Facts).timeZone);
      return aboutAppointment(event, 'APPOINTMENT_BOOKED', 'New appointment', `Appointment booked for ${when}.`, {
        title: 'Appointment booked',
        body: `Your appointment is booked for ${when}.`,
      });
    }
    case APPOINTMENT_RESCHEDULED: {
      const data = event.data as AppointmentRescheduled & { timeZone?: string };
      const when = localTime(data.startsAt, data.timeZone);
      const before = localTime(data.previousStartsAt, data.timeZone);
      return aboutAppointment(
        event,
        'APPOINTMENT_RESCHEDULED',
        'Appointment moved',
        `The appointment of ${before} moved to ${when}.`,
        { title: 'Appointment moved', body: `Your appointment of ${before} moved to ${when}.` },
      );
    }
    case APPOINTMENT_CANCELLED: {
      const when = localTime((event.data as Facts).startsAt, (event.data as Facts).timeZone);
      return aboutAppointment(
        event,
        'APPOINTMENT_CANCELLED',
        'Appointment cancelled',
        `The appointment of ${when} was cancelled; the time is free again.`,
        { title: 'Appointment cancelled', body: `Your appointment of ${when} was cancelled.` },
      );
    }
    case APPOINTMENT_CHECKED_IN: {
      const when = localTime((event.data as Facts).startsAt, (event.data as Facts).timeZone);
      return aboutAppointment(
        event,
        'PATIENT_CHECKED_IN',
        'Patient arrived',
        `The patient of ${when} is in the waiting room.`,
        null,
      );
    }
    case APPOINTMENT_CALLED:
      // The practitioner called them in: the secretaries and the patient need to know, not the caller.
      return aboutAppointment(
        event,
        'PATIENT_CALLED',
        'Patient called in',
        'The practitioner called the patient in.',
        { title: 'It is your turn', body: 'The practitioner is ready to see you.' },
        false,
      );
    case APPOINTMENT_REMINDER_DUE: {
      const data = event.data as Facts;
      const when = localTime(data.startsAt, data.timeZone);
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'PATIENT',
          recipientUserId: null,
          recipientPatientId: data.patientId,
          kind: 'APPOINTMENT_REMINDER',
          title: 'Appointment reminder',
          body: `Reminder: you have an appointment on ${when}.`,
          patientId: data.patientId,
          appointmentId: data.appointmentId,
        },
      ];
    }
    case CONSULTATION_SIGNED: {
      // That it is done, for the desk (billing, the day's list); never what it says.
      const data = event.data as ConsultationSigned;
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'SECRETARIES',
          recipientUserId: null,
          recipientPatientId: null,
          kind: 'CONSULTATION_SIGNED',
          title: 'Consultation signed',
          body: 'A consultation was signed by the practitioner.',
          patientId: data.patientId,
          appointmentId: data.appointmentId,
        },
      ];
    }
    case MEDICAL_RECORD_UPDATED: {
      // The patient is told their record changed (which section, not what it says), and can see
      // who did it in their access log.
      const data = event.data as MedicalRecordUpdated;
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'PATIENT',
          recipientUserId: null,
          recipientPatientId: data.patientId,
          kind: 'MEDICAL_RECORD_UPDATED',
          title: 'Medical record updated',
          body: `Your practice updated your medical record (${SECTION_WORDS[data.section] ?? 'an entry'}).`,
          patientId: data.patientId,
          appointmentId: null,
        },
      ];
    }
    case PRESCRIPTION_ISSUED: {
      const data = event.data as PrescriptionIssued;
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'PATIENT',
          recipientUserId: null,
          recipientPatientId: data.patientId,
          kind: 'PRESCRIPTION_ISSUED',
          title: 'New prescription',
          body: 'Your practitioner issued a prescription; you can read and print it in your space.',
          patientId: data.patientId,
          appointmentId: null,
        },
      ];
    }
    default:
      return [];
  }
}

/**
 * The one visibility rule: your own practice, and addressed to you, to its staff (doctors and
 * secretaries), to its secretaries, or to the patient file your PATIENT account is linked to.
 */
export function isVisibleTo(
  notification: {
    cabinetId: string;
    audience: Audience;
    recipientUserId?: string | null;
    recipientPatientId?: string | null;
  },
  identity: Identity,
): boolean {
  if (notification.cabinetId !== identity.cabinetId) return false;
  switch (notification.audience) {
    case 'USER':
      return notification.recipientUserId === identity.userId;
    case 'STAFF':
      return STAFF_ROLES.includes(identity.role);
    case 'SECRETARIES':
      return identity.role === 'SECRETARY';
    case 'PATIENT':
      return (
        identity.role === 'PATIENT' && !!identity.patientId && notification.recipientPatientId === identity.patientId
      );
  }
}
