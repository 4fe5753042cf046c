import { conflict, type DomainError } from '@cabinet/platform/errors';

/** The life of an appointment, in the order it normally goes through. */
export const APPOINTMENT_STATUSES = [
  'PENDING',
  'BOOKED',
  'ARRIVED',
  'IN_CONSULTATION',
  'FULFILLED',
  'CANCELLED',
  'NO_SHOW',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/**
 * Every legal transition, and only those: PENDING (held, awaiting confirmation) is confirmed
 * (BOOKED) or cancelled; a BOOKED patient arrives, cancels, or does not come (NO_SHOW); an
 * arrived patient is seen (IN_CONSULTATION) or leaves before (CANCELLED); a consultation ends
 * FULFILLED. FULFILLED, CANCELLED and NO_SHOW are final.
 */
export const TRANSITIONS: Readonly<Record<AppointmentStatus, readonly AppointmentStatus[]>> = {
  PENDING: ['BOOKED', 'CANCELLED'],
  BOOKED: ['ARRIVED', 'CANCELLED', 'NO_SHOW'],
  ARRIVED: ['IN_CONSULTATION', 'CANCELLED'],
  IN_CONSULTATION: ['FULFILLED'],
  FULFILLED: [],
  CANCELLED: [],
  NO_SHOW: [],
};

/** Statuses that no longer hold their time in the practitioner's agenda (see the exclusion constraint). */
export const FREEING_STATUSES: readonly AppointmentStatus[] = ['CANCELLED', 'NO_SHOW'];

/** Statuses whose time may still be moved. */
export const RESCHEDULABLE_STATUSES: readonly AppointmentStatus[] = ['PENDING', 'BOOKED'];

export const canTransition = (from: AppointmentStatus, to: AppointmentStatus): boolean =>
  TRANSITIONS[from].includes(to);

const WORDS: Readonly<Record<AppointmentStatus, string>> = {
  PENDING: 'pending',
  BOOKED: 'booked',
  ARRIVED: 'arrived',
  IN_CONSULTATION: 'in consultation',
  FULFILLED: 'fulfilled',
  CANCELLED: 'cancelled',
  NO_SHOW: 'marked as a no-show',
};
const VERBS: Readonly<Record<AppointmentStatus, string>> = {
  PENDING: 'put back to pending',
  BOOKED: 'confirmed',
  ARRIVED: 'marked as arrived',
  IN_CONSULTATION: 'started',
  FULFILLED: 'completed',
  CANCELLED: 'cancelled',
  NO_SHOW: 'marked as a no-show',
};

/** The CONFLICT for an illegal transition, in words a secretary understands. */
export function illegalTransition(from: AppointmentStatus, to: AppointmentStatus): DomainError {
  if (from === to) return conflict(`This appointment is already ${WORDS[from]}`);
  return conflict(`An appointment that is ${WORDS[from]} cannot be ${VERBS[to]}`);
}

/** Returns `to` when the transition is legal; throws CONFLICT otherwise. */
export function transition(from: AppointmentStatus, to: AppointmentStatus): AppointmentStatus {
  if (!canTransition(from, to)) throw illegalTransition(from, to);
  return to;
}

/** Throws CONFLICT unless the appointment's time may still be moved. */
export function assertReschedulable(status: AppointmentStatus): void {
  if (!RESCHEDULABLE_STATUSES.includes(status)) {
    throw conflict(`An appointment that is ${WORDS[status]} cannot be rescheduled`);
  }
}

/**
 * What a signed consultation makes of its appointment: proof the patient was seen, whatever steps
 * the desk skipped (check-in, call), so BOOKED, ARRIVED and IN_CONSULTATION become FULFILLED. A
 * fulfilled appointment stays so; a pending, cancelled or no-show one is left for a person to sort
 * out (null).
 */
export function fulfilledBySignedConsultation(status: AppointmentStatus): AppointmentStatus | null {
  return status === 'BOOKED' || status === 'ARRIVED' || status === 'IN_CONSULTATION' ? 'FULFILLED' : null;
}
