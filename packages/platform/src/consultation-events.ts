// Event contracts of the consultations and prescriptions subgraphs: what they promise their
// consumers (appointments fulfils the appointment of a signed consultation; prescriptions knows
// which consultations exist; notifications tells whom it concerns). Clinical content never travels
// in events: only ids, people and times.

/** The consultations subgraph's topic, keyed by consultation id. */
export const CONSULTATIONS_TOPIC = 'cabinet.consultations.v1';

/** Who and what a consultation event is about. */
export interface ConsultationFacts {
  consultationId: string;
  cabinetId: string;
  patientId: string;
  /** The doctor's user id. */
  practitionerId: string;
  /** The appointment it was opened from; null for a walk-in. */
  appointmentId: string | null;
  /** ISO 8601. */
  openedAt: string;
}

export const CONSULTATION_OPENED = 'consultations.ConsultationOpened.v1';
/** A consultation was opened (a draft), from an appointment or as a walk-in. */
export type ConsultationOpened = ConsultationFacts;

export const CONSULTATION_SIGNED = 'consultations.ConsultationSigned.v1';
/** A consultation was signed: it is final (immutable); its appointment, if any, is fulfilled. */
export interface ConsultationSigned extends ConsultationFacts {
  signedAt: string;
}

export const CONSULTATION_AMENDED = 'consultations.ConsultationAmended.v1';
/** An addendum was added to a signed consultation. */
export interface ConsultationAmended extends ConsultationFacts {
  addendumId: string;
  at: string;
}

/** The prescriptions subgraph's topic, keyed by prescription id. */
export const PRESCRIPTIONS_TOPIC = 'cabinet.prescriptions.v1';

export const PRESCRIPTION_ISSUED = 'prescriptions.PrescriptionIssued.v1';
/** A prescription (ordonnance) was issued on a consultation; its document can be printed. */
export interface PrescriptionIssued {
  prescriptionId: string;
  consultationId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  issuedAt: string;
}
