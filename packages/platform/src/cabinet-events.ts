// Event contracts of the cabinets subgraph: what it promises and what its consumers (the
// appointments projection) rely on. Written without importing the subgraph's domain.

/** A practice's postal address. */
export interface Address {
  street: string;
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

/** One open day of a practice: local times "HH:MM" in the practice's time zone. */
export interface OpeningDay {
  weekday: string;
  intervals: { opens: string; closes: string }[];
}

/** The topic (before any prefix) every cabinets event goes to, keyed by cabinet id. */
export const CABINETS_TOPIC = 'cabinet.cabinets.v1';

/**
 * What a practice looks like in events: everything a projection needs (the appointments
 * subgraph keeps time zone and opening hours), so a consumer upserts without calling back.
 */
export interface CabinetSnapshot {
  cabinetId: string;
  name: string;
  specialty: string;
  address: Address;
  phone: string | null;
  email: string | null;
  logoUrl: string | null;
  /** Weekdays in calendar order; a weekday not listed is closed. Times are local to `timeZone`. */
  openingHours: OpeningDay[];
  /** IANA time zone of the practice, e.g. Europe/Paris. */
  timeZone: string;
  active: boolean;
}

export const CABINET_CREATED = 'cabinets.CabinetCreated.v1';
export type CabinetCreated = CabinetSnapshot;

export const CABINET_UPDATED = 'cabinets.CabinetUpdated.v1';
export interface CabinetUpdated extends CabinetSnapshot {
  /** The fields the edit changed, e.g. ['openingHours', 'timeZone']. */
  changed: string[];
}

export const CABINET_DEACTIVATED = 'cabinets.CabinetDeactivated.v1';
export interface CabinetDeactivated {
  cabinetId: string;
  deactivatedAt: string;
}

export const PRACTITIONER_ATTACHED = 'cabinets.PractitionerAttached.v1';
export interface PractitionerAttached {
  practitionerId: string;
  cabinetId: string;
  /** The doctor's account in the users subgraph. */
  userId: string;
  specialty: string;
  rpps: string;
}

export const PRACTITIONER_DETACHED = 'cabinets.PractitionerDetached.v1';
export interface PractitionerDetached {
  practitionerId: string;
  cabinetId: string;
  userId: string;
}
