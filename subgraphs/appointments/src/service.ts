import { randomUUID } from 'node:crypto';
import { assertSameCabinet, can, type Permission } from '@cabinet/platform/access';
import {
  APPOINTMENT_BOOKED,
  APPOINTMENT_CALLED,
  APPOINTMENT_CANCELLED,
  APPOINTMENT_CHECKED_IN,
  APPOINTMENT_COMPLETED,
  APPOINTMENT_CONFIRMED,
  APPOINTMENT_NO_SHOW,
  APPOINTMENT_REMINDER_DUE,
  APPOINTMENT_RESCHEDULED,
  type AppointmentBooked,
  type AppointmentCalled,
  type AppointmentCheckedIn,
  type AppointmentFacts,
  type AppointmentReminderDue,
  type AppointmentRescheduled,
} from '@cabinet/platform/appointment-events';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { ConsultationSigned } from '@cabinet/platform/consultation-events';
import { type EntityManager, type MikroORM, sql } from '@cabinet/platform/database';
import { badUserInput, conflict, forbidden, notFound } from '@cabinet/platform/errors';
import { type EventEnvelope, envelope } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import { claimEvent } from '@cabinet/platform/inbox';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { eventually } from '@cabinet/platform/projection';
import { PubSub } from '@cabinet/platform/pubsub';
import { DriverException, LockMode } from '@mikro-orm/core';
import { queue } from './domain/queue.ts';
import { DEFAULT_REMINDER_LEAD_MINUTES, REMINDED_STATUSES, reminderDueAt } from './domain/reminder.ts';
import {
  type AppointmentTypeInput,
  assertBookable,
  type ExceptionEntry,
  type ExceptionInput,
  freeSlots,
  type Interval,
  LIST_RANGE_MAX_DAYS,
  openings,
  parseInstant,
  parseRange,
  SLOT_RANGE_MAX_DAYS,
  validateAppointmentType,
  validateCancellationReason,
  validateException,
  validateTimeZone,
  validateWeeklyRules,
  WEEKDAYS,
  type Weekday,
  type WeeklyRule,
  type WeeklyRuleInput,
} from './domain/schedule.ts';
import {
  type AppointmentStatus,
  assertReschedulable,
  FREEING_STATUSES,
  fulfilledBySignedConsultation,
  transition,
} from './domain/status.ts';
import { addDays, localDateOf, zonedToUtc } from './domain/time.ts';
import {
  Appointment,
  type AppointmentRecord,
  AppointmentReminder,
  AppointmentType,
  type AppointmentTypeRecord,
  AvailabilityException,
  type AvailabilityExceptionRecord,
  AvailabilityRule,
  type AvailabilityRuleRecord,
  KnownPatient,
  KnownPractice,
  type KnownPracticeRecord,
  KnownPractitioner,
  PractitionerSchedule,
} from './persistence/entities.ts';

/** Reading agendas: staff of the practice. */
export const READ: Permission = 'appointment:read';
/** Booking and managing appointments and opening hours. */
export const WRITE: Permission = 'appointment:write';
/** Booking over another appointment: doctors only, always audited. */
export const OVERBOOK: Permission = 'appointment:overbook';
/** A patient booking online for themselves, on a self-bookable type. */
export const SELF_BOOK: Permission = 'appointment:selfBook';
/** A patient reading their own appointments. */
export const READ_OWN: Permission = 'appointment:readOwn';

/** The refusal of a patient booking for someone else. */
export const FOR_THEMSELVES = 'A patient books appointments for themselves only';
/** The refusal of a patient booking a type the practice does not offer online. */
export const NOT_SELF_BOOKABLE = 'This kind of appointment cannot be booked online; please call the practice';

/** The refusal of calling the next patient of an empty waiting room. */
export const NOBODY_WAITING = 'Nobody is waiting';

/** What happened in a waiting room. */
export type WaitingRoomEventKind = 'CHECKED_IN' | 'CALLED' | 'COMPLETED';
export interface WaitingRoomEventView {
  kind: WaitingRoomEventKind;
  appointment: AppointmentView;
}
export interface WaitingRoomEntryView {
  appointment: AppointmentView;
  position: number;
  arrivedAt: string;
  estimatedWaitMinutes: number;
}

/** The refusal of checking in an appointment of another day. */
export const NOT_TODAY = 'Only an appointment of today can be checked in';
/** The refusal of calling a patient while the practitioner is still with another one. */
export const ALREADY_IN_CONSULTATION = 'The practitioner is already in consultation; complete it first';

/** The refusal of a time already taken in the practitioner's agenda. */
export const AGENDA_TAKEN = "Dr's agenda already has an appointment at that time";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const uuidOrNull = (value: string | null | undefined): string | null =>
  value && UUID.test(value) ? value : null;
const MINUTE = 60_000;

/** What every event of an appointment carries. */
const facts = (appointment: AppointmentRecord, timeZone: string): AppointmentFacts => ({
  appointmentId: appointment.id,
  cabinetId: appointment.cabinetId,
  patientId: appointment.patientId,
  practitionerId: appointment.practitionerId,
  startsAt: appointment.startsAt.toISOString(),
  endsAt: appointment.endsAt.toISOString(),
  timeZone,
});

export interface AppointmentTypeView {
  id: string;
  cabinetId: string;
  label: string;
  durationMinutes: number;
  selfBookable: boolean;
  createdAt: string;
}
export interface AvailabilityRuleView {
  id: string;
  practitionerId: string;
  cabinetId: string;
  weekday: Weekday;
  startTime: string;
  endTime: string;
  timeZone: string;
}
export interface AvailabilityExceptionView {
  id: string;
  practitionerId: string;
  cabinetId: string;
  startDate: string;
  endDate: string;
  reason: string | null;
}
export interface SlotView {
  startsAt: string;
  endsAt: string;
}
export interface AppointmentView {
  id: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  appointmentType: AppointmentTypeView;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  cancellationReason: string | null;
  overbooked: boolean;
  createdAt: string;
}

const typeView = (type: AppointmentTypeRecord): AppointmentTypeView => ({
  id: type.id,
  cabinetId: type.cabinetId,
  label: type.label,
  durationMinutes: type.durationMinutes,
  selfBookable: type.selfBookable,
  createdAt: type.createdAt.toISOString(),
});
const ruleView = (rule: AvailabilityRuleRecord, timeZone: string): AvailabilityRuleView => ({
  id: rule.id,
  practitionerId: rule.practitionerId,
  cabinetId: rule.cabinetId,
  weekday: WEEKDAYS[rule.weekday - 1] as Weekday,
  startTime: rule.startTime,
  endTime: rule.endTime,
  timeZone,
});
const exceptionView = (exception: AvailabilityExceptionRecord): AvailabilityExceptionView => ({
  id: exception.id,
  practitionerId: exception.practitionerId,
  cabinetId: exception.cabinetId,
  startDate: exception.startDate,
  endDate: exception.endDate,
  reason: exception.reason ?? null,
});
export const appointmentView = (appointment: AppointmentRecord, type: AppointmentTypeRecord): AppointmentView => ({
  id: appointment.id,
  cabinetId: appointment.cabinetId,
  patientId: appointment.patientId,
  practitionerId: appointment.practitionerId,
  appointmentType: typeView(type),
  startsAt: appointment.startsAt.toISOString(),
  endsAt: appointment.endsAt.toISOString(),
  status: appointment.status,
  cancellationReason: appointment.cancellationReason ?? null,
  overbooked: appointment.overbooked,
  createdAt: appointment.createdAt.toISOString(),
});

/** Views with their appointment types, loaded in one query whatever the number of appointments. */
export async function appointmentViews(
  em: EntityManager,
  appointments: readonly AppointmentRecord[],
): Promise<AppointmentView[]> {
  const ids = [...new Set(appointments.map((appointment) => appointment.appointmentTypeId))];
  const types = ids.length ? await em.find(AppointmentType, { id: { $in: ids } }) : [];
  const byId = new Map(types.map((type) => [type.id, type]));
  return appointments.map((appointment) => {
    const type = byId.get(appointment.appointmentTypeId);
    if (!type) throw new Error(`appointment ${appointment.id} has no type`);
    return appointmentView(appointment, type);
  });
}

/** True for PostgreSQL's refusal of an overlapping appointment (exclusion violation). */
/**
 * Makes the writes to one practitioner's agenda take turns, for the rest of the transaction.
 * Without it, concurrent bookings of one time wait on each other inside the exclusion constraint
 * until PostgreSQL aborts one as a deadlock; in turn, the first commits and the others meet its
 * row at once, a clean CONFLICT. The constraint still has the last word.
 */
async function lockAgenda(em: EntityManager, practitionerId: string): Promise<void> {
  await sql(em, 'select pg_advisory_xact_lock(hashtext(?))', [`agenda:${practitionerId}`]);
}

/** The refusal of a second IN_CONSULTATION appointment of a practitioner (unique index). */
export const isConsultationConflict = (error: unknown): boolean =>
  error instanceof DriverException &&
  (error as DriverException & { code?: string; constraint?: string }).code === '23505' &&
  String((error as Error).message).includes('appointment_one_in_consultation');

export const isAgendaConflict = (error: unknown): boolean =>
  error instanceof DriverException && (error as DriverException & { code?: string }).code === '23P01';

export interface BookAppointmentInput {
  patientId: string;
  practitionerId: string;
  cabinetId: string;
  appointmentTypeId: string;
  startsAt: string;
  /** Hold the time, to be confirmed later (PENDING); BOOKED otherwise. */
  pending?: boolean | null;
}
export interface WeeklyAvailabilityInput {
  practitionerId: string;
  cabinetId: string;
  /** Defaults to the practice's time zone; another one is refused. */
  timeZone?: string | null;
  rules: WeeklyRuleInput[];
}
export interface AvailabilityExceptionInput extends ExceptionInput {
  practitionerId: string;
  cabinetId: string;
}
export interface SlotsQuery {
  practitionerId: string;
  cabinetId: string;
  from: string;
  to: string;
  appointmentTypeId: string;
}
export interface AppointmentsQuery {
  cabinetId: string;
  from: string;
  to: string;
  practitionerId?: string | null;
}

interface Agenda {
  timeZone: string;
  rules: WeeklyRule[];
  exceptions: ExceptionEntry[];
}

export interface AppointmentsServiceOptions {
  orm: MikroORM;
  log: Logger;
  /** Full topic name (with any prefix) of appointment events. */
  topic: string;
  auditor: Auditor;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
  /** Now; the system clock unless a test sets it. */
  clock?: () => Date;
  /** How long before an appointment its patient is reminded (default: a day). */
  reminderLeadMinutes?: number;
  /**
   * How long a booking waits for the projection to learn of a practice, practitioner or patient
   * it names before calling it unknown (their events may be a moment behind the caller).
   */
  projectionWaitMs?: number;
}

/**
 * Appointment types, practitioners' opening hours, and appointments of a practice. Every method
 * checks the permission first (through the Auditor, which records a refusal), then that the
 * practice is the caller's own (another practice is NOT_FOUND). Every write is audited in its
 * transaction; appointment reads are audited per patient. PostgreSQL, not this code, has the last
 * word on overlapping appointments.
 */
export class AppointmentsService {
  readonly #options: AppointmentsServiceOptions;
  /** Live waiting-room changes of this instance, for `waitingRoomUpdated`. */
  readonly #waitingRoom = new PubSub<WaitingRoomEventView>();

  constructor(options: AppointmentsServiceOptions) {
    this.#options = options;
  }

  async createAppointmentType(
    caller: Caller,
    input: AppointmentTypeInput & { cabinetId: string },
  ): Promise<AppointmentTypeView> {
    const target = { action: 'createAppointmentType', entity: 'AppointmentType' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#inPractice(caller, actor, input.cabinetId, target);
    const entry = validateAppointmentType(input);
    const created = await this.#write(async (em) => {
      const type = em.create(AppointmentType, {
        id: randomUUID(),
        cabinetId,
        ...entry,
        createdAt: this.#now(),
        createdBy: actor.userId,
      });
      this.#options.auditor.record(em, caller, { ...target, entityId: type.id });
      return type;
    });
    return typeView(created);
  }

  async appointmentTypes(caller: Caller, cabinetId: string): Promise<AppointmentTypeView[]> {
    const target = { action: READ, entity: 'AppointmentType' };
    const actor = await this.#authorizeEither(caller, READ, SELF_BOOK, target);
    await this.#inPractice(caller, actor, cabinetId, target);
    // A patient sees what they may book themselves.
    const selfBookableOnly = can(actor, READ) ? {} : { selfBookable: true };
    const types = await this.#options.orm.em
      .fork()
      .find(AppointmentType, { cabinetId, ...selfBookableOnly }, { orderBy: { label: 'asc' } });
    return types.map(typeView);
  }

  /** Replaces a practitioner's whole week of opening hours at a practice, with the practice's time zone. */
  async setWeeklyAvailability(caller: Caller, input: WeeklyAvailabilityInput): Promise<AvailabilityRuleView[]> {
    const target = { action: 'setWeeklyAvailability', entity: 'AvailabilityRule' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#inPractice(caller, actor, input.cabinetId, target);
    const practitionerId = this.#uuid(input.practitionerId, 'practitionerId');
    const rules = validateWeeklyRules(input.rules);
    const practice = await this.#practice(cabinetId);
    await this.#practitioner(cabinetId, practitionerId);
    const timeZone = validateTimeZone(input.timeZone ?? practice.timeZone);
    if (timeZone !== practice.timeZone) {
      throw badUserInput(`timeZone must be the practice's time zone (${practice.timeZone})`, 'timeZone');
    }
    const saved = await this.#write(async (em) => {
      await em.upsert(PractitionerSchedule, {
        practitionerId,
        cabinetId,
        timeZone,
        updatedAt: this.#now(),
        updatedBy: actor.userId,
      });
      await em.nativeDelete(AvailabilityRule, { practitionerId, cabinetId });
      const created = rules.map((rule) =>
        em.create(AvailabilityRule, { id: randomUUID(), practitionerId, cabinetId, ...rule }),
      );
      this.#options.auditor.record(em, caller, { ...target, entityId: practitionerId });
      return created;
    });
    return saved.map((rule) => ruleView(rule, timeZone));
  }

  async weeklyAvailability(caller: Caller, practitionerId: string, cabinetId: string): Promise<AvailabilityRuleView[]> {
    const target = { action: READ, entity: 'AvailabilityRule' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    await this.#inPractice(caller, actor, cabinetId, target);
    const em = this.#options.orm.em.fork();
    const schedule = uuidOrNull(practitionerId)
      ? await em.findOne(PractitionerSchedule, { practitionerId, cabinetId })
      : null;
    if (!schedule) return [];
    const rules = await em.find(
      AvailabilityRule,
      { practitionerId, cabinetId },
      { orderBy: { weekday: 'asc', startTime: 'asc' } },
    );
    return rules.map((rule) => ruleView(rule, schedule.timeZone));
  }

  /** Adds whole local days (leave, closure) on which the practitioner takes no appointment. */
  async addAvailabilityException(
    caller: Caller,
    input: AvailabilityExceptionInput,
  ): Promise<AvailabilityExceptionView> {
    const target = { action: 'addAvailabilityException', entity: 'AvailabilityException' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#inPractice(caller, actor, input.cabinetId, target);
    const practitionerId = this.#uuid(input.practitionerId, 'practitionerId');
    const entry = validateException(input);
    const created = await this.#write(async (em) => {
      const exception = em.create(AvailabilityException, {
        id: randomUUID(),
        practitionerId,
        cabinetId,
        ...entry,
        createdAt: this.#now(),
        createdBy: actor.userId,
      });
      this.#options.auditor.record(em, caller, { ...target, entityId: exception.id });
      return exception;
    });
    return exceptionView(created);
  }

  async availabilityExceptions(
    caller: Caller,
    practitionerId: string,
    cabinetId: string,
  ): Promise<AvailabilityExceptionView[]> {
    const target = { action: READ, entity: 'AvailabilityException' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    await this.#inPractice(caller, actor, cabinetId, target);
    if (!uuidOrNull(practitionerId)) return [];
    const exceptions = await this.#options.orm.em
      .fork()
      .find(AvailabilityException, { practitionerId, cabinetId }, { orderBy: { startDate: 'asc' } });
    return exceptions.map(exceptionView);
  }

  /** Free slots of an appointment type's length, in the practitioner's opening hours, from now on. */
  async availableSlots(caller: Caller, query: SlotsQuery): Promise<SlotView[]> {
    const target = { action: READ, entity: 'Slot' };
    const actor = await this.#authorizeEither(caller, READ, SELF_BOOK, target);
    const cabinetId = await this.#inPractice(caller, actor, query.cabinetId, target);
    const range = parseRange(query.from, query.to, SLOT_RANGE_MAX_DAYS);
    const em = this.#options.orm.em.fork();
    const type = await this.#type(em, query.appointmentTypeId, cabinetId);
    if (!can(actor, READ) && !type.selfBookable) throw forbidden(NOT_SELF_BOOKABLE);
    const agenda = uuidOrNull(query.practitionerId) ? await this.#agenda(em, query.practitionerId, cabinetId) : null;
    if (!agenda) return [];
    const busy = await this.#busy(em, query.practitionerId, range);
    const hours = openings(agenda.rules, agenda.exceptions, agenda.timeZone, range);
    return freeSlots(hours, busy, type.durationMinutes, range, this.#now()).map((slot) => ({
      startsAt: slot.start.toISOString(),
      endsAt: slot.end.toISOString(),
    }));
  }

  /**
   * Books an appointment for a patient. Refused with BAD_USER_INPUT in the past or outside the
   * practitioner's opening hours, with CONFLICT when the time is taken; `overbook` (doctors only,
   * audited) books over another appointment.
   */
  async book(caller: Caller, input: BookAppointmentInput, overbook = false): Promise<AppointmentView> {
    const { auditor } = this.#options;
    const target = { action: 'bookAppointment', entity: 'Appointment', patientId: uuidOrNull(input.patientId) };
    const actor = await this.#authorizeEither(caller, WRITE, SELF_BOOK, target);
    if (overbook) await auditor.authorize(caller, OVERBOOK, { ...target, action: 'overbookAppointment' });
    const selfBooking = !can(actor, WRITE);
    if (selfBooking && input.patientId !== actor.patientId)
      await this.#options.auditor.refuse(caller, target, forbidden(FOR_THEMSELVES));
    const cabinetId = await this.#inPractice(caller, actor, input.cabinetId, target);
    const patientId = this.#uuid(input.patientId, 'patientId');
    const practitionerId = this.#uuid(input.practitionerId, 'practitionerId');
    const start = parseInstant(input.startsAt, 'startsAt');
    const em = this.#options.orm.em.fork();
    const type = await this.#type(em, input.appointmentTypeId, cabinetId);
    if (selfBooking && !type.selfBookable)
      await this.#options.auditor.refuse(caller, target, forbidden(NOT_SELF_BOOKABLE));
    const practice = await this.#practice(cabinetId);
    if (!practice.active) throw badUserInput('This practice is deactivated and takes no appointments', 'cabinetId');
    await this.#practitioner(cabinetId, practitionerId);
    await this.#patient(cabinetId, patientId);
    const period = { start, end: new Date(start.getTime() + type.durationMinutes * MINUTE) };
    await this.#assertBookable(em, practitionerId, cabinetId, period);
    const booked = await this.#write(async (tx) => {
      await lockAgenda(tx, practitionerId);
      const now = this.#now();
      const appointment = tx.create(Appointment, {
        id: randomUUID(),
        cabinetId,
        patientId,
        practitionerId,
        appointmentTypeId: type.id,
        startsAt: period.start,
        endsAt: period.end,
        status: input.pending ? 'PENDING' : 'BOOKED',
        cancellationReason: null,
        overbooked: overbook,
        createdAt: now,
        createdBy: actor.userId,
        updatedAt: now,
      });
      const audited = { ...target, entityId: appointment.id, patientId };
      this.#scheduleReminder(tx, appointment);
      auditor.record(tx, caller, audited);
      if (overbook) auditor.record(tx, caller, { ...audited, action: 'overbookAppointment' });
      this.#event<AppointmentBooked>(tx, caller, APPOINTMENT_BOOKED, appointment, {
        appointmentId: appointment.id,
        cabinetId,
        patientId,
        practitionerId,
        appointmentTypeId: type.id,
        startsAt: period.start.toISOString(),
        endsAt: period.end.toISOString(),
        timeZone: await this.#timeZone(tx, appointment),
        status: appointment.status,
        overbooked: overbook,
      });
      return appointment;
    });
    this.#options.log.info(
      { requestId: caller.requestId, appointmentId: booked.id, cabinetId, practitionerId, overbook },
      'appointment booked',
    );
    return appointmentView(booked, type);
  }

  /** The signed-in patient's own appointments, by start: upcoming ones, or all with `includePast`. */
  async mine(caller: Caller, includePast = false): Promise<AppointmentView[]> {
    const target = { action: READ_OWN, entity: 'Appointment' };
    const actor = await this.#options.auditor.authorize(caller, READ_OWN, target);
    if (!actor.patientId || !actor.cabinetId) return [];
    const em = this.#options.orm.em.fork();
    const appointments = await em.find(
      Appointment,
      {
        patientId: actor.patientId,
        cabinetId: actor.cabinetId,
        ...(includePast ? {} : { endsAt: { $gt: this.#now() } }),
      },
      { orderBy: { startsAt: 'asc', id: 'asc' } },
    );
    await this.#options.auditor.recordNow(caller, { ...target, patientId: actor.patientId });
    return this.#views(em, appointments);
  }

  /** The appointments part of a patient's data export: all of them, for that patient only. */
  async exportFor(caller: Caller, patientId: string): Promise<AppointmentView[]> {
    const actor = await this.#options.auditor.authorize(caller, READ_OWN, { action: READ_OWN, entity: 'Appointment' });
    if (actor.patientId !== patientId) throw notFound('PatientDataExport', patientId);
    return this.mine(caller, true);
  }

  /** One appointment of the caller's practice; NOT_FOUND for an unknown id or another practice's. */
  async byId(caller: Caller, id: string): Promise<AppointmentView> {
    const target = { action: READ, entity: 'Appointment', entityId: uuidOrNull(id) };
    const actor = await this.#authorizeEither(caller, READ, READ_OWN, target);
    const em = this.#options.orm.em.fork();
    const appointment = await this.#own(em, caller, actor, id, target);
    const [view] = await this.#views(em, [appointment]);
    await this.#options.auditor.recordNow(caller, { ...target, patientId: appointment.patientId });
    return view as AppointmentView;
  }

  /** The practice's appointments that overlap `from`..`to` (at most 92 days), by start time. */
  async list(caller: Caller, query: AppointmentsQuery): Promise<AppointmentView[]> {
    const target = { action: READ, entity: 'Appointment' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const cabinetId = await this.#inPractice(caller, actor, query.cabinetId, target);
    const range = parseRange(query.from, query.to, LIST_RANGE_MAX_DAYS);
    if (query.practitionerId && !uuidOrNull(query.practitionerId)) return [];
    const em = this.#options.orm.em.fork();
    const appointments = await em.find(
      Appointment,
      {
        cabinetId,
        startsAt: { $lt: range.end },
        endsAt: { $gt: range.start },
        ...(query.practitionerId ? { practitionerId: query.practitionerId } : {}),
      },
      { orderBy: { startsAt: 'asc', id: 'asc' } },
    );
    const views = await this.#views(em, appointments);
    await this.#options.auditor.recordAllNow(
      caller,
      appointments.map((appointment) => ({ ...target, entityId: appointment.id, patientId: appointment.patientId })),
    );
    return views;
  }

  /** PENDING → BOOKED. */
  confirm(caller: Caller, id: string): Promise<AppointmentView> {
    return this.#changeStatus(
      caller,
      id,
      'confirmAppointment',
      (appointment) => {
        appointment.status = transition(appointment.status, 'BOOKED');
      },
      (appointment, timeZone) => [APPOINTMENT_CONFIRMED, facts(appointment, timeZone)],
    );
  }

  /** Cancels an appointment, giving the reason; its time is free again. Twice is a CONFLICT. */
  cancel(caller: Caller, id: string, reason: string): Promise<AppointmentView> {
    return this.#changeStatus(
      caller,
      id,
      'cancelAppointment',
      async (appointment, em) => {
        appointment.status = transition(appointment.status, 'CANCELLED');
        appointment.cancellationReason = validateCancellationReason(reason);
        await em.nativeDelete(AppointmentReminder, { appointmentId: appointment.id });
      },
      (appointment, timeZone) => [APPOINTMENT_CANCELLED, facts(appointment, timeZone)],
    );
  }

  /** BOOKED → NO_SHOW, once the appointment has started; its time is free again. */
  markNoShow(caller: Caller, id: string): Promise<AppointmentView> {
    return this.#changeStatus(
      caller,
      id,
      'markNoShow',
      (appointment) => {
        const status = transition(appointment.status, 'NO_SHOW');
        if (appointment.startsAt > this.#now()) {
          throw badUserInput('An appointment that has not started yet cannot be marked as a no-show', 'id');
        }
        appointment.status = status;
      },
      (appointment, timeZone) => [APPOINTMENT_NO_SHOW, facts(appointment, timeZone)],
    );
  }

  /**
   * BOOKED → ARRIVED: the patient checked in; they join the practitioner's waiting room. Only an
   * appointment of today (in the practice's time zone) can be checked in.
   */
  async checkIn(caller: Caller, id: string): Promise<AppointmentView> {
    const view = await this.#changeStatus(
      caller,
      id,
      'checkInAppointment',
      async (appointment, em) => {
        const status = transition(appointment.status, 'ARRIVED');
        const today = await this.#today(em, appointment.practitionerId, appointment.cabinetId);
        if (!today || appointment.startsAt < today.start || appointment.startsAt >= today.end) {
          throw badUserInput(NOT_TODAY, 'id');
        }
        appointment.status = status;
        appointment.arrivedAt = this.#now();
      },
      (appointment, timeZone): [string, AppointmentCheckedIn] => [
        APPOINTMENT_CHECKED_IN,
        { ...facts(appointment, timeZone), arrivedAt: (appointment.arrivedAt as Date).toISOString() },
      ],
    );
    this.#waitingRoom.publish({ kind: 'CHECKED_IN', appointment: view });
    return view;
  }

  /** IN_CONSULTATION → FULFILLED: the consultation is over. */
  async complete(caller: Caller, id: string): Promise<AppointmentView> {
    const view = await this.#changeStatus(
      caller,
      id,
      'completeAppointment',
      (appointment) => {
        appointment.status = transition(appointment.status, 'FULFILLED');
      },
      (appointment, timeZone) => [APPOINTMENT_COMPLETED, facts(appointment, timeZone)],
    );
    this.#waitingRoom.publish({ kind: 'COMPLETED', appointment: view });
    return view;
  }

  /**
   * Calls in the first patient who arrived today in the practitioner's waiting room
   * (ARRIVED → IN_CONSULTATION). CONFLICT when nobody is waiting. Concurrent calls take different
   * patients (the rows taken by another call are skipped).
   */
  async callNext(caller: Caller, cabinetIdArg: string, practitionerId: string): Promise<AppointmentView> {
    const target = { action: 'callNextPatient', entity: 'Appointment' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#inPractice(caller, actor, cabinetIdArg, target);
    if (!uuidOrNull(practitionerId)) throw conflict(NOBODY_WAITING);
    const called = await this.#write(async (em) => {
      const today = await this.#today(em, practitionerId, cabinetId);
      const next = today
        ? await em.findOne(
            Appointment,
            { cabinetId, practitionerId, status: 'ARRIVED', arrivedAt: { $gte: today.start, $lt: today.end } },
            { orderBy: { arrivedAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
          )
        : null;
      if (!next) throw conflict(NOBODY_WAITING);
      const now = this.#now();
      next.status = transition(next.status, 'IN_CONSULTATION');
      next.calledAt = now;
      next.updatedAt = now;
      this.#options.auditor.record(em, caller, { ...target, entityId: next.id, patientId: next.patientId });
      this.#event<AppointmentCalled>(em, caller, APPOINTMENT_CALLED, next, {
        ...facts(next, await this.#timeZone(em, next)),
        calledAt: now.toISOString(),
      });
      return next;
    });
    this.#options.log.info(
      { requestId: caller.requestId, appointmentId: called.id, cabinetId, practitionerId },
      'callNextPatient',
    );
    const [view] = await this.#views(this.#options.orm.em.fork(), [called]);
    const appointment = view as AppointmentView;
    this.#waitingRoom.publish({ kind: 'CALLED', appointment });
    return appointment;
  }

  /**
   * The practitioner's waiting room: today's ARRIVED appointments (today in the time zone of the
   * practitioner's agenda), by arrival, with positions and estimated waits. Audited per patient.
   */
  async waitingRoom(caller: Caller, cabinetIdArg: string, practitionerId: string): Promise<WaitingRoomEntryView[]> {
    const target = { action: READ, entity: 'WaitingRoomEntry' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const cabinetId = await this.#inPractice(caller, actor, cabinetIdArg, target);
    if (!uuidOrNull(practitionerId)) return [];
    const em = this.#options.orm.em.fork();
    const today = await this.#today(em, practitionerId, cabinetId);
    if (!today) return [];
    const [arrived, ongoing] = await Promise.all([
      em.find(
        Appointment,
        { cabinetId, practitionerId, status: 'ARRIVED', arrivedAt: { $gte: today.start, $lt: today.end } },
        { orderBy: { arrivedAt: 'asc', id: 'asc' } },
      ),
      em.findOne(
        Appointment,
        { cabinetId, practitionerId, status: 'IN_CONSULTATION', calledAt: { $ne: null } },
        { orderBy: { calledAt: 'desc' } },
      ),
    ]);
    const views = await this.#views(em, ongoing ? [...arrived, ongoing] : arrived);
    const waiting = arrived.map((appointment, index) => {
      const view = views[index] as AppointmentView;
      return { view, arrivedAt: appointment.arrivedAt as Date, durationMinutes: view.appointmentType.durationMinutes };
    });
    const current = ongoing?.calledAt
      ? {
          startedAt: ongoing.calledAt,
          durationMinutes: (views.at(-1) as AppointmentView).appointmentType.durationMinutes,
        }
      : null;
    const places = queue(waiting, current, this.#now());
    await this.#options.auditor.recordAllNow(
      caller,
      arrived.map((appointment) => ({ ...target, entityId: appointment.id, patientId: appointment.patientId })),
    );
    return places.map(({ entry, position, estimatedWaitMinutes }) => ({
      appointment: entry.view,
      position,
      arrivedAt: entry.arrivedAt.toISOString(),
      estimatedWaitMinutes,
    }));
  }

  /** Live changes of the caller's practice's waiting rooms; another practice is NOT_FOUND. */
  async subscribeWaitingRoom(
    caller: Caller,
    cabinetIdArg: string,
  ): Promise<AsyncIterableIterator<WaitingRoomEventView>> {
    const target = { action: 'waitingRoomUpdated', entity: 'WaitingRoomEvent' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const cabinetId = await this.#inPractice(caller, actor, cabinetIdArg, target);
    return this.#waitingRoom.subscribe((event) => event.appointment.cabinetId === cabinetId);
  }

  /**
   * Moves a PENDING or BOOKED appointment to another time (another day too), with the rules of a
   * booking, in one transaction: either it moves, or nothing changes. The previous time is free.
   */
  async reschedule(caller: Caller, id: string, startsAt: string): Promise<AppointmentView> {
    const start = parseInstant(startsAt, 'startsAt');
    let previous: Interval | null = null;
    return this.#changeStatus(
      caller,
      id,
      'rescheduleAppointment',
      async (appointment, em) => {
        assertReschedulable(appointment.status);
        previous = { start: appointment.startsAt, end: appointment.endsAt };
        const period = { start, end: new Date(start.getTime() + (previous.end.getTime() - previous.start.getTime())) };
        await this.#assertBookable(em, appointment.practitionerId, appointment.cabinetId, period);
        appointment.startsAt = period.start;
        appointment.endsAt = period.end;
        // Rescheduled by the ordinary rules: the new time must be free.
        appointment.overbooked = false;
        await this.#rescheduleReminder(em, appointment);
      },
      (appointment, timeZone): [string, AppointmentRescheduled] => [
        APPOINTMENT_RESCHEDULED,
        {
          timeZone,
          appointmentId: appointment.id,
          cabinetId: appointment.cabinetId,
          patientId: appointment.patientId,
          practitionerId: appointment.practitionerId,
          previousStartsAt: previous?.start.toISOString() ?? '',
          previousEndsAt: previous?.end.toISOString() ?? '',
          startsAt: appointment.startsAt.toISOString(),
          endsAt: appointment.endsAt.toISOString(),
        },
      ],
    );
  }

  /**
   * A change of one appointment, in one transaction: permission, practice, the row locked (so
   * concurrent changes of one appointment take turns and each sees the other's result), the
   * change, its audit record and its event.
   */
  async #changeStatus(
    caller: Caller,
    id: string,
    action: string,
    change: (appointment: AppointmentRecord, em: EntityManager) => void | Promise<void>,
    event?: (appointment: AppointmentRecord, timeZone: string) => [string, unknown],
  ): Promise<AppointmentView> {
    const target = { action, entity: 'Appointment', entityId: uuidOrNull(id) };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const owned = await this.#own(this.#options.orm.em.fork(), caller, actor, id, target);
    const changed = await this.#write(async (em) => {
      await lockAgenda(em, owned.practitionerId);
      const appointment = await em.findOneOrFail(Appointment, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      await change(appointment, em);
      appointment.updatedAt = this.#now();
      this.#options.auditor.record(em, caller, { ...target, patientId: appointment.patientId });
      if (event) {
        const [type, data] = event(appointment, await this.#timeZone(em, appointment));
        this.#event(em, caller, type, appointment, data);
      }
      return appointment;
    });
    this.#options.log.info(
      { requestId: caller.requestId, appointmentId: id, cabinetId: changed.cabinetId, status: changed.status },
      action,
    );
    const [view] = await this.#views(this.#options.orm.em.fork(), [changed]);
    return view as AppointmentView;
  }

  /** Runs a write transaction; the exclusion constraint's refusal becomes a readable CONFLICT. */
  async #write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.#options.orm.em.fork().transactional(work);
    } catch (error) {
      if (isAgendaConflict(error)) throw conflict(AGENDA_TAKEN);
      if (isConsultationConflict(error)) throw conflict(ALREADY_IN_CONSULTATION);
      throw error;
    }
    this.#options.onEventsRecorded();
    return result;
  }

  #event<T>(em: EntityManager, caller: Caller | null, type: string, appointment: AppointmentRecord, data: T): void {
    const event = envelope('appointments', type, appointment.cabinetId, caller, data);
    recordEvent(em, this.#options.topic, appointment.id, event);
  }

  /**
   * The caller when they hold `wide` (staff) or else `narrow` (a patient's own-data permission);
   * without either, FORBIDDEN naming the wide one, and audited.
   */
  async #authorizeEither(caller: Caller, wide: Permission, narrow: Permission, target: AuditTarget): Promise<Identity> {
    const { identity } = caller;
    const permission = identity && !can(identity, wide) && can(identity, narrow) ? narrow : wide;
    return this.#options.auditor.authorize(caller, permission, target);
  }

  /** The caller's practice when it is `cabinetId`; another practice (or none) is NOT_FOUND, and audited. */
  async #inPractice(caller: Caller, actor: Identity, cabinetId: string, target: AuditTarget): Promise<string> {
    if (actor.cabinetId && actor.cabinetId === cabinetId) return cabinetId;
    const error = notFound('Cabinet', cabinetId);
    await this.#options.auditor.denied(caller, target, error);
    throw error;
  }

  /** An appointment of the caller's practice; NOT_FOUND otherwise (audited, naming its patient). */
  async #own(
    em: EntityManager,
    caller: Caller,
    actor: Identity,
    id: string,
    target: AuditTarget,
  ): Promise<AppointmentRecord> {
    const found = uuidOrNull(id) ? await em.findOne(Appointment, { id }) : null;
    try {
      if (!actor.cabinetId) throw notFound('Appointment', id);
      // A patient's own appointments only; anyone else's is indistinguishable from none.
      if (actor.role === 'PATIENT' && found?.patientId !== actor.patientId) throw notFound('Appointment', id);
      return assertSameCabinet(actor, 'Appointment', id, found);
    } catch (error) {
      await this.#options.auditor.denied(caller, { ...target, patientId: found?.patientId ?? null }, error);
      throw error;
    }
  }

  #uuid(value: string, field: string): string {
    if (!uuidOrNull(value)) throw badUserInput(`${field} must be a UUID`, field);
    return value;
  }

  async #type(em: EntityManager, id: string, cabinetId: string): Promise<AppointmentTypeRecord> {
    const type = uuidOrNull(id) ? await em.findOne(AppointmentType, { id, cabinetId }) : null;
    if (!type) throw notFound('AppointmentType', id);
    return type;
  }

  /**
   * A signed consultation fulfils the appointment it was opened from (once per event: inbox), as
   * the system, with the COMPLETED event and waiting-room update a completion has. Returns whether
   * the appointment changed.
   */
  async onConsultationSigned(event: EventEnvelope<ConsultationSigned>): Promise<boolean> {
    const { appointmentId, cabinetId } = event.data;
    if (!appointmentId) return false;
    const changed = await this.#write(async (em) => {
      if (!(await claimEvent(em, 'appointments-consultations', event.id))) return null;
      const appointment = await em.findOne(Appointment, { id: appointmentId, cabinetId });
      if (!appointment) return null;
      await lockAgenda(em, appointment.practitionerId);
      await em.refresh(appointment, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const next = fulfilledBySignedConsultation(appointment.status);
      if (!next) return null;
      appointment.status = next;
      appointment.updatedAt = this.#now();
      this.#event(
        em,
        null,
        APPOINTMENT_COMPLETED,
        appointment,
        facts(appointment, await this.#timeZone(em, appointment)),
      );
      return appointment;
    });
    if (!changed) return false;
    this.#options.log.info(
      { appointmentId, consultationId: event.data.consultationId },
      'fulfilled by its consultation',
    );
    const [view] = await this.#views(this.#options.orm.em.fork(), [changed]);
    this.#waitingRoom.publish({ kind: 'COMPLETED', appointment: view as AppointmentView });
    return true;
  }

  /**
   * Publishes the reminders that are due, each once: the rows are claimed (skipping those another
   * instance holds), marked sent, and their events put in the outbox in one transaction, which the
   * relay delivers whenever the broker is there. Reminders of appointments no longer PENDING or
   * BOOKED (or already past) are dropped. Works in batches of `batch` until none is due; returns
   * how many were published.
   */
  async sendDueReminders(batch = 100): Promise<number> {
    let sent = 0;
    for (;;) {
      const { claimed, published } = await this.#sendReminderBatch(batch);
      sent += published;
      if (claimed < batch) break;
    }
    if (sent > 0) this.#options.log.info({ count: sent }, 'appointment reminders published');
    return sent;
  }

  async #sendReminderBatch(limit: number): Promise<{ claimed: number; published: number }> {
    const now = this.#now();
    return this.#write(async (em) => {
      const due = await em.find(
        AppointmentReminder,
        { sentAt: null, dueAt: { $lte: now } },
        { orderBy: { dueAt: 'asc' }, limit, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      if (due.length === 0) return { claimed: 0, published: 0 };
      const appointments = await em.find(Appointment, { id: { $in: due.map((reminder) => reminder.appointmentId) } });
      const byId = new Map(appointments.map((appointment) => [appointment.id, appointment]));
      const zones = await this.#timeZones(em, appointments);
      let count = 0;
      for (const reminder of due) {
        const appointment = byId.get(reminder.appointmentId);
        const live =
          appointment &&
          (REMINDED_STATUSES as readonly string[]).includes(appointment.status) &&
          appointment.startsAt.getTime() === reminder.startsAt.getTime() &&
          appointment.startsAt > now;
        if (!appointment || !live) {
          em.remove(reminder);
          continue;
        }
        reminder.sentAt = now;
        const timeZone = zones.get(`${appointment.practitionerId}/${appointment.cabinetId}`) ?? 'UTC';
        this.#event<AppointmentReminderDue>(em, null, APPOINTMENT_REMINDER_DUE, appointment, {
          ...facts(appointment, timeZone),
          reminderId: `${appointment.id}/${reminder.startsAt.toISOString()}`,
        });
        count++;
      }
      return { claimed: due.length, published: count };
    });
  }

  #scheduleReminder(em: EntityManager, appointment: AppointmentRecord): void {
    const lead = this.#options.reminderLeadMinutes ?? DEFAULT_REMINDER_LEAD_MINUTES;
    const dueAt = reminderDueAt(appointment.startsAt, lead, this.#now());
    if (dueAt) em.create(AppointmentReminder, { appointmentId: appointment.id, startsAt: appointment.startsAt, dueAt });
  }

  /** A moved appointment gets a reminder for its new time (or none when that is too close). */
  async #rescheduleReminder(em: EntityManager, appointment: AppointmentRecord): Promise<void> {
    await em.nativeDelete(AppointmentReminder, { appointmentId: appointment.id });
    this.#scheduleReminder(em, appointment);
  }

  async #timeZones(em: EntityManager, appointments: readonly AppointmentRecord[]): Promise<Map<string, string>> {
    if (appointments.length === 0) return new Map();
    const schedules = await em.find(PractitionerSchedule, {
      $or: appointments.map(({ practitionerId, cabinetId }) => ({ practitionerId, cabinetId })),
    });
    return new Map(
      schedules.map((schedule) => [`${schedule.practitionerId}/${schedule.cabinetId}`, schedule.timeZone]),
    );
  }

  /** The practice, as the cabinets events describe it; NOT_FOUND when it does not exist. */
  async #practice(cabinetId: string): Promise<KnownPracticeRecord> {
    const practice = await eventually(
      () => this.#options.orm.em.fork().findOne(KnownPractice, { cabinetId }),
      this.#options.projectionWaitMs,
    );
    if (!practice) throw notFound('Cabinet', cabinetId);
    return practice;
  }

  /** A doctor attached to the practice (cabinets events); NOT_FOUND otherwise. */
  async #practitioner(cabinetId: string, userId: string): Promise<void> {
    const known = await eventually(
      () => this.#options.orm.em.fork().findOne(KnownPractitioner, { userId, cabinetId, active: true }),
      this.#options.projectionWaitMs,
    );
    if (!known) throw notFound('Practitioner', userId);
  }

  /** A patient of the practice (patients events); NOT_FOUND otherwise, another practice's too. */
  async #patient(cabinetId: string, patientId: string): Promise<void> {
    const known = await eventually(
      () => this.#options.orm.em.fork().findOne(KnownPatient, { patientId, cabinetId }),
      this.#options.projectionWaitMs,
    );
    if (!known) throw notFound('Patient', patientId);
  }

  /** The time zone of the appointment's agenda (every bookable appointment has one). */
  async #timeZone(em: EntityManager, appointment: AppointmentRecord): Promise<string> {
    const schedule = await em.findOne(PractitionerSchedule, {
      practitionerId: appointment.practitionerId,
      cabinetId: appointment.cabinetId,
    });
    return schedule?.timeZone ?? 'UTC';
  }

  /** Today, in the time zone of the practitioner's agenda at the practice; null without an agenda. */
  async #today(em: EntityManager, practitionerId: string, cabinetId: string): Promise<Interval | null> {
    const schedule = await em.findOne(PractitionerSchedule, { practitionerId, cabinetId });
    if (!schedule) return null;
    const date = localDateOf(this.#now(), schedule.timeZone);
    return {
      start: zonedToUtc(date, '00:00', schedule.timeZone),
      end: zonedToUtc(addDays(date, 1), '00:00', schedule.timeZone),
    };
  }

  async #agenda(em: EntityManager, practitionerId: string, cabinetId: string): Promise<Agenda | null> {
    const schedule = await em.findOne(PractitionerSchedule, { practitionerId, cabinetId });
    if (!schedule) return null;
    const [rules, exceptions] = await Promise.all([
      em.find(AvailabilityRule, { practitionerId, cabinetId }),
      em.find(AvailabilityException, { practitionerId, cabinetId }),
    ]);
    return {
      timeZone: schedule.timeZone,
      rules,
      exceptions: exceptions.map(({ startDate, endDate, reason }) => ({ startDate, endDate, reason: reason ?? null })),
    };
  }

  /** The practitioner's times already taken (at any practice: one cannot be in two places). */
  async #busy(em: EntityManager, practitionerId: string, range: Interval): Promise<Interval[]> {
    const taken = await em.find(Appointment, {
      practitionerId,
      status: { $nin: [...FREEING_STATUSES] },
      startsAt: { $lt: range.end },
      endsAt: { $gt: range.start },
    });
    return taken.map((appointment) => ({ start: appointment.startsAt, end: appointment.endsAt }));
  }

  async #assertBookable(em: EntityManager, practitionerId: string, cabinetId: string, period: Interval): Promise<void> {
    const agenda = await this.#agenda(em, practitionerId, cabinetId);
    if (!agenda) throw badUserInput('This practitioner has no opening hours at this practice', 'practitionerId');
    assertBookable(period, agenda.rules, agenda.exceptions, agenda.timeZone, this.#now());
  }

  #views(em: EntityManager, appointments: readonly AppointmentRecord[]): Promise<AppointmentView[]> {
    return appointmentViews(em, appointments);
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}
