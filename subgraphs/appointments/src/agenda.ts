import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { MikroORM } from '@cabinet/platform/database';
import { badUserInput, notFound } from '@cabinet/platform/errors';
import type { Caller } from '@cabinet/platform/identity';
import { parseInstant } from './domain/schedule.ts';
import type { AppointmentStatus } from './domain/status.ts';
import { addDays, parseLocalDate, zonedToUtc } from './domain/time.ts';
import { Appointment, KnownPractice } from './persistence/entities.ts';
import { type AppointmentView, appointmentViews, READ, uuidOrNull } from './service.ts';

/** Which of a patient's appointments to read: a period of start times and statuses, each optional. */
export interface PatientAppointmentsFilter {
  /** ISO 8601 with offset; the first start included. */
  from?: string | null;
  /** ISO 8601 with offset; starts from here on are left out. */
  to?: string | null;
  /** Only these statuses (none match an empty list). */
  status?: readonly AppointmentStatus[] | null;
}

export interface AgendaReaderOptions {
  orm: MikroORM;
  auditor: Auditor;
}

/**
 * The screens federation puts together in one request: a practice's day (`Cabinet.agenda`, also a
 * practitioner's day) and patients' appointments (`Patient.appointments`). Each answer costs a
 * fixed number of SQL statements whatever the number of appointments or patients: the
 * appointments in one query, their types in one, their audit records in one insert. Same rules as
 * every appointment read: `appointment:read`, the caller's practice only, audited per patient.
 */
export class AgendaReader {
  readonly #options: AgendaReaderOptions;

  constructor(options: AgendaReaderOptions) {
    this.#options = options;
  }

  /**
   * The appointments starting on the local day `date` (YYYY-MM-DD) at the caller's practice, all
   * statuses, by start; only `practitionerId`'s when given (a practitioner's day). The day is
   * local to the practice's time zone, as the cabinets subgraph announced it (every agenda of the
   * practice is in that zone); UTC for a practice this subgraph has not heard of yet, which has
   * nothing booked anyway. Another practice is NOT_FOUND.
   */
  async day(
    caller: Caller,
    cabinetId: string,
    date: string,
    practitionerId?: string | null,
  ): Promise<AppointmentView[]> {
    const { auditor, orm } = this.#options;
    const target: AuditTarget = { action: READ, entity: 'Appointment' };
    const actor = await auditor.authorize(caller, READ, target);
    if (!actor.cabinetId || actor.cabinetId !== cabinetId) {
      const error = notFound('Cabinet', cabinetId);
      await auditor.denied(caller, target, error);
      throw error;
    }
    if (!parseLocalDate(date)) throw badUserInput('date must be a calendar day, YYYY-MM-DD', 'date');
    if (practitionerId && !uuidOrNull(practitionerId)) return [];
    const em = orm.em.fork();
    const timeZone = (await em.findOne(KnownPractice, { cabinetId }))?.timeZone ?? 'UTC';
    const appointments = await em.find(
      Appointment,
      {
        cabinetId,
        startsAt: { $gte: zonedToUtc(date, '00:00', timeZone), $lt: zonedToUtc(addDays(date, 1), '00:00', timeZone) },
        ...(practitionerId ? { practitionerId } : {}),
      },
      { orderBy: { startsAt: 'asc', id: 'asc' } },
    );
    const views = await appointmentViews(em, appointments);
    await auditor.recordAllNow(
      caller,
      appointments.map((appointment) => ({ ...target, entityId: appointment.id, patientId: appointment.patientId })),
    );
    return views;
  }

  /**
   * The appointments of several patients at the caller's practice, by start, per patient: one
   * query for all of them (the patients of a list, of an agenda). A patient of another practice
   * has none here (the patients subgraph answers NOT_FOUND for the patient itself).
   */
  async ofPatients(
    caller: Caller,
    patientIds: readonly string[],
    filter: PatientAppointmentsFilter,
  ): Promise<Map<string, AppointmentView[]>> {
    const { auditor, orm } = this.#options;
    const target: AuditTarget = { action: READ, entity: 'Appointment' };
    const actor = await auditor.authorize(caller, READ, target);
    const from = filter.from ? parseInstant(filter.from, 'from') : null;
    const to = filter.to ? parseInstant(filter.to, 'to') : null;
    if (from && to && to <= from) throw badUserInput('to must be after from', 'to');
    const wanted = patientIds.filter((id) => uuidOrNull(id));
    const byPatient = new Map<string, AppointmentView[]>();
    if (!actor.cabinetId || wanted.length === 0 || filter.status?.length === 0) return byPatient;
    const em = orm.em.fork();
    const appointments = await em.find(
      Appointment,
      {
        cabinetId: actor.cabinetId,
        patientId: { $in: wanted },
        ...(from || to ? { startsAt: { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) } } : {}),
        ...(filter.status ? { status: { $in: [...filter.status] } } : {}),
      },
      { orderBy: { startsAt: 'asc', id: 'asc' } },
    );
    const views = await appointmentViews(em, appointments);
    for (const view of views) byPatient.set(view.patientId, [...(byPatient.get(view.patientId) ?? []), view]);
    await auditor.recordAllNow(
      caller,
      appointments.map((appointment) => ({ ...target, entityId: appointment.id, patientId: appointment.patientId })),
    );
    return byPatient;
  }
}
