import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { AgendaReader, PatientAppointmentsFilter } from './agenda.ts';
import type { AppointmentsService, AppointmentView, WaitingRoomEventView } from './service.ts';

/** Thin: arguments in, the service's views out; the stubs carry only ids for other subgraphs. */
export function createResolvers(
  appointments: AppointmentsService,
  agenda: AgendaReader,
): GraphQLResolverMap<RequestContext> {
  // One loader per request and filter: the appointments of every patient a request resolves (a
  // list of patients, the patients of an agenda) come from one query.
  const appointmentsOfPatients = perRequest(
    (_context: RequestContext) => new Map<string, BatchLoader<string, AppointmentView[]>>(),
  );
  const patientAppointments = (patientId: string, filter: PatientAppointmentsFilter, context: RequestContext) => {
    const loaders = appointmentsOfPatients(context);
    const key = JSON.stringify([filter.from ?? null, filter.to ?? null, filter.status ?? null]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new BatchLoader(
        (patientIds) => agenda.ofPatients(context.caller, patientIds, filter),
        () => [],
      );
      loaders.set(key, loader);
    }
    return loader.load(patientId);
  };
  return {
    Query: {
      availableSlots: (_root, args, { caller }) => appointments.availableSlots(caller, args),
      appointment: (_root, { id }, { caller }) => appointments.byId(caller, id),
      myAppointments: (_root, { includePast }, { caller }) => appointments.mine(caller, includePast === true),
      appointments: (_root, args, { caller }) => appointments.list(caller, args),
      appointmentTypes: (_root, { cabinetId }, { caller }) => appointments.appointmentTypes(caller, cabinetId),
      weeklyAvailability: (_root, { practitionerId, cabinetId }, { caller }) =>
        appointments.weeklyAvailability(caller, practitionerId, cabinetId),
      availabilityExceptions: (_root, { practitionerId, cabinetId }, { caller }) =>
        appointments.availabilityExceptions(caller, practitionerId, cabinetId),
      waitingRoom: (_root, { cabinetId, practitionerId }, { caller }) =>
        appointments.waitingRoom(caller, cabinetId, practitionerId),
    },
    Mutation: {
      bookAppointment: (_root, { input, overbook }, { caller }) => appointments.book(caller, input, overbook === true),
      confirmAppointment: (_root, { id }, { caller }) => appointments.confirm(caller, id),
      cancelAppointment: (_root, { id, reason }, { caller }) => appointments.cancel(caller, id, reason),
      markNoShow: (_root, { id }, { caller }) => appointments.markNoShow(caller, id),
      rescheduleAppointment: (_root, { id, startsAt }, { caller }) => appointments.reschedule(caller, id, startsAt),
      setWeeklyAvailability: (_root, { input }, { caller }) => appointments.setWeeklyAvailability(caller, input),
      addAvailabilityException: (_root, { input }, { caller }) => appointments.addAvailabilityException(caller, input),
      createAppointmentType: (_root, { input }, { caller }) => appointments.createAppointmentType(caller, input),
      checkInAppointment: (_root, { id }, { caller }) => appointments.checkIn(caller, id),
      callNextPatient: (_root, { cabinetId, practitionerId }, { caller }) =>
        appointments.callNext(caller, cabinetId, practitionerId),
      completeAppointment: (_root, { id }, { caller }) => appointments.complete(caller, id),
    },
    Subscription: {
      waitingRoomUpdated: {
        // Checked when subscribing: a refusal is the subscription's one result, with its code.
        subscribe: (_root: unknown, { cabinetId }: { cabinetId: string }, { caller }: RequestContext) =>
          appointments.subscribeWaitingRoom(caller, cabinetId),
        resolve: (event: WaitingRoomEventView) => event,
      },
    },
    // The patient's data export: their appointments, for them only.
    PatientDataExport: {
      __resolveReference: (reference: { patientId: string }) => reference,
      appointments: ({ patientId }: { patientId: string }, _args: unknown, { caller }: RequestContext) =>
        appointments.exportFor(caller, patientId),
    },
    // Entities of other subgraphs this one adds fields to: a reference is all their fields need.
    Cabinet: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      agenda: (
        cabinet: { id: string },
        { date, practitionerId }: { date: string; practitionerId?: string | null },
        { caller }: RequestContext,
      ) => agenda.day(caller, cabinet.id, date, practitionerId),
    },
    Patient: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      appointments: (patient: { id: string }, filter: PatientAppointmentsFilter, context: RequestContext) =>
        patientAppointments(patient.id, filter, context),
    },
    Appointment: {
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => appointments.byId(caller, id),
      patient: (appointment: AppointmentView) => ({ __typename: 'Patient', id: appointment.patientId }),
      practitioner: (appointment: AppointmentView) => ({
        __typename: 'Practitioner',
        userId: appointment.practitionerId,
      }),
    },
  };
}
