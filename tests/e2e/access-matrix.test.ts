import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DirectiveNode, Kind, parse } from 'graphql';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, waitFor } from '../support/client.ts';
import { gqlRaw, type RawGraphQLResponse } from '../support/http.ts';
import { PRACTICE_TIME_ZONE, rppsNumber } from '../support/practice.ts';
import { probeSubscription } from '../support/subscription-probe.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// The access matrix: every root operation of the supergraph, called through the router by every
// kind of caller, with the outcome written down by hand. A change in the access rules has to be a
// change in this table; an operation added to the schema without a row fails the first test.

/**
 * The callers. `otherPracticeDoctor` is a DOCTOR of another practice and `otherPatient` a PATIENT
 * account linked to another patient file of the same practice: wherever an operation names a
 * record (an id, a session), these two name the practice's / the `patient` actor's one, i.e.
 * someone else's; elsewhere they act on their own data.
 */
const ACTORS = ['anonymous', 'admin', 'doctor', 'secretary', 'patient', 'otherPracticeDoctor', 'otherPatient'] as const;
type Actor = (typeof ACTORS)[number];
type SignedIn = Exclude<Actor, 'anonymous'>;

/** Served: data present, no error. */
const ALLOWED = 'ALLOWED';
/** No token: HTTP 401 from the router, nothing run (closed with 4401 on a WebSocket). */
const UNAUTHENTICATED = 'UNAUTHENTICATED';
/** A token without the scope: the field is null with a FORBIDDEN error. */
const FORBIDDEN = 'FORBIDDEN';
/** The record named belongs to someone else: indistinguishable from one that does not exist. */
const NOT_FOUND = 'NOT_FOUND';
/** The argument names something that is not the caller's (the service's answer for a session). */
const BAD_USER_INPUT = 'BAD_USER_INPUT';
type Outcome = typeof ALLOWED | typeof UNAUTHENTICATED | typeof FORBIDDEN | typeof NOT_FOUND | typeof BAD_USER_INPUT;

// biome-ignore format: one row per operation, one column per actor, read as a table.
const MATRIX = {
  'Query.me':                      { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.patients':                { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,        otherPatient: FORBIDDEN },
  'Query.patient':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Query.myNotifications':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.unreadNotificationCount': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.auditLog':                { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Query.myRecordAccessLog':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,      otherPatient: ALLOWED },
  'Mutation.login':                { anonymous: ALLOWED,         admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.refreshSession':       { anonymous: ALLOWED,         admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.logout':               { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: BAD_USER_INPUT, otherPatient: BAD_USER_INPUT },
  'Mutation.changePassword':       { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.createStaffAccount':   { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.rotateSigningKey':     { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Query.staffAccounts':             { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.updateStaffAccount':     { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.deactivateStaffAccount': { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.reactivateStaffAccount': { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.updateMyProfile':        { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.registerPatient':      { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,        otherPatient: FORBIDDEN },
  'Mutation.markNotificationRead': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: NOT_FOUND, otherPracticeDoctor: NOT_FOUND,      otherPatient: NOT_FOUND },
  'Mutation.recordAllergy':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.removeAllergy':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Query.myPatientFile':           { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,      otherPatient: ALLOWED },
  'Mutation.updatePatient':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.archivePatient':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.restorePatient':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.addHistoryEntry':      { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.addTreatment':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.endTreatment':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.recordHabit':          { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.addDocument':          { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.removeRecordEntry':    { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Query.cabinets':                     { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,         otherPatient: FORBIDDEN },
  'Query.cabinet':                      { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: NOT_FOUND, secretary: NOT_FOUND, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.myCabinet':                    { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.createCabinet':             { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.updateCabinet':             { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.deactivateCabinet':         { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.attachPractitioner':        { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.detachPractitioner':        { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Query.availableSlots':               { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.appointment':                  { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: NOT_FOUND,       otherPatient: NOT_FOUND },
  'Query.myAppointments':               { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,       otherPatient: ALLOWED },
  'Query.myDataExport':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,       otherPatient: ALLOWED },
  'Query.appointments':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.appointmentTypes':             { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: NOT_FOUND,       otherPatient: ALLOWED },
  'Query.weeklyAvailability':           { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.availabilityExceptions':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.bookAppointment':           { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.confirmAppointment':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.cancelAppointment':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.markNoShow':                { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.rescheduleAppointment':     { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.setWeeklyAvailability':     { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.addAvailabilityException':  { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.createAppointmentType':     { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.waitingRoom':                  { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.checkInAppointment':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.callNextPatient':           { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.completeAppointment':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Subscription.waitingRoomUpdated':    { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.consultation':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.consultations':                { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.diagnosisCodes':               { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,         otherPatient: FORBIDDEN },
  'Mutation.openConsultation':          { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.openWalkInConsultation':    { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.updateConsultation':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.signConsultation':          { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Mutation.addAddendum':               { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.medications':                  { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,         otherPatient: FORBIDDEN },
  'Mutation.createMedication':          { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.updateMedication':          { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.deactivateMedication':      { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,       otherPatient: FORBIDDEN },
  'Mutation.issuePrescription':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,       otherPatient: FORBIDDEN },
  'Query.prescription':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: NOT_FOUND,       otherPatient: NOT_FOUND },
  'Query.prescriptions':                { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: NOT_FOUND,       otherPatient: NOT_FOUND },
  'Query.myPrescriptions':              { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,       otherPatient: ALLOWED },
  'Subscription.notificationAdded': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
} as const satisfies Record<string, Record<Actor, Outcome>>;
type Operation = keyof typeof MATRIX;
type HttpOperation = Exclude<Operation, `Subscription.${string}`>;
type SubscriptionOperation = Extract<Operation, `Subscription.${string}`>;

// ---------------------------------------------------------------------------------------------
// The data every call works on, created once.

interface Account {
  email: string;
  password: string;
  userId: string;
  token: string;
}
interface PatientFile {
  id: string;
  firstName: string;
  lastName: string;
}

let system: TestSystem;
let practice: string;
const otherPractice = randomUUID();
const accounts = {} as Record<SignedIn, Account>;
/** The patient file the `patient` actor is linked to; `otherPatient` reaches for it. */
let file: PatientFile;
/** The patient file of `otherPatient`, which nobody but the registration ever touches. */
let otherFile: PatientFile;
/** The notification of `file`'s registration, for the practice's staff. */
let notificationId: string;

/** Letters only (patient names may not hold digits), unique enough for one run. */
const letters = (length = 10): string =>
  Array.from(randomBytes(length), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
const uniqueName = (prefix: string): string => `${prefix}${letters()}`;

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { id } }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { accessToken refreshToken user { id } }
}`;
const PATIENT = 'query Patient($id: ID!) { patient(id: $id) { id lastName } }';
const REGISTER = 'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id lastName } }';
const SEARCH = 'query Search($search: String) { patients(search: $search) { id lastName } }';
const MY_RECORD_ACCESS_LOG = '{ myRecordAccessLog(limit: 200) { at action role userId service } }';

interface Session {
  accessToken: string;
  refreshToken: string;
  userId: string;
}

/** A fresh session (its own refresh-token family) of an account. */
async function signIn(account: Pick<Account, 'email' | 'password'>): Promise<Session> {
  const response = await gql(system.url, SIGN_IN, { email: account.email, password: account.password });
  const payload = response.data?.login;
  if (!payload) throw new Error(`sign-in failed: ${JSON.stringify(response.errors)}`);
  return { accessToken: payload.accessToken, refreshToken: payload.refreshToken, userId: payload.user.id };
}

async function createAccount(input: { role: string; cabinetId?: string; patientId?: string }): Promise<Account> {
  const email = uniqueEmail(`matrix-${input.role.toLowerCase()}`);
  const created = await gql(
    system.url,
    STAFF_ACCOUNT,
    { input: { ...input, email, password: STAFF_PASSWORD, name: 'Matrix Account' } },
    accounts.admin.token,
  );
  if (!created.data?.createStaffAccount) throw new Error(`account not created: ${JSON.stringify(created.errors)}`);
  const session = await login(system.url, email, STAFF_PASSWORD);
  return { email, password: STAFF_PASSWORD, ...session };
}

async function registerFile(prefix: string): Promise<PatientFile> {
  const firstName = uniqueName('Fn');
  const lastName = uniqueName(prefix);
  const response = await gql(
    system.url,
    REGISTER,
    { input: { firstName, lastName, birthDate: '1979-02-03' } },
    accounts.secretary.token,
  );
  const id = response.data?.registerPatient?.id;
  if (!id) throw new Error(`registerPatient failed: ${JSON.stringify(response.errors)}`);
  return { id, firstName, lastName };
}

/** A new account of the same kind as `actor` (same role and practice), for calls that change the account. */
async function accountLike(actor: SignedIn): Promise<Account> {
  switch (actor) {
    case 'admin':
      return createAccount({ role: 'ADMIN' });
    case 'doctor':
      return createAccount({ role: 'DOCTOR', cabinetId: practice });
    case 'secretary':
      return createAccount({ role: 'SECRETARY', cabinetId: practice });
    case 'otherPracticeDoctor':
      return createAccount({ role: 'DOCTOR', cabinetId: otherPractice });
    case 'patient':
    case 'otherPatient':
      return createAccount({ role: 'PATIENT', cabinetId: practice, patientId: (await registerFile('Disposable')).id });
  }
}

// Practices (cabinets subgraph) and agendas (appointments subgraph).

/** A real Cabinet of the cabinets subgraph, not the staff's `practice` (which is another one). */
let cabinet: { id: string; name: string };
/** An appointment type of `practice`, 15 minutes long. */
let appointmentTypeId: string;
/** A self-bookable appointment type of `practice` (patients may book it online). */
let onlineTypeId: string;
/** An appointment of `file` with the doctor, booked in before(). */
let appointment: { id: string; startsAt: string };
/** A practitioner id with one day of leave at `practice` (not the doctor, whose agenda must stay open). */
const onLeave = randomUUID();
/** A draft consultation of `file` opened by the doctor (a walk-in) in before(). */
let consultationId: string;
/** A prescription of `file` the doctor issued on `consultationId` in before(). */
let prescriptionId: string;

const CABINET = 'id name active';
const ADDRESS = { street: '12 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' };
const CREATE_CABINET = `mutation CreateCabinet($input: CreateCabinetInput!) { createCabinet(input: $input) { ${CABINET} } }`;
const CABINET_BY_ID = `query Cabinet($id: ID!) {
  cabinet(id: $id) { ${CABINET} practitioners { id userId active } }
}`;
const ATTACH = `mutation Attach($input: AttachPractitionerInput!) {
  attachPractitioner(input: $input) { id userId active }
}`;
const APPOINTMENT = 'id status startsAt cancellationReason';
const BOOK = `mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { ${APPOINTMENT} } }`;
const WEEK = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const SET_WEEK = `mutation Week($input: WeeklyAvailabilityInput!) {
  setWeeklyAvailability(input: $input) { id weekday startTime endTime timeZone }
}`;

const STAFF_FIELDS = 'id email name active';

/** An account as the admin lists it, found by its email. */
async function staffAccountAsAdmin(
  email: string,
): Promise<{ id: string; email: string; name: string; active: boolean }> {
  const found = await must(
    `query Staff($filter: StaffAccountFilter) { staffAccounts(filter: $filter) { ${STAFF_FIELDS} } }`,
    { filter: { text: email } },
    'admin',
  );
  assert.equal(found.staffAccounts.length, 1, JSON.stringify(found));
  return found.staffAccounts[0];
}

/** Data of a call that has to work, or the test cannot be set up. */
async function must(query: string, variables: Record<string, unknown>, actor: SignedIn): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, accounts[actor].token);
  if (response.errors || !response.data) throw new Error(`set-up call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function createCabinet(): Promise<{ id: string; name: string }> {
  const name = uniqueName('Cabinet ');
  const input = { name, specialty: 'Médecine générale', address: ADDRESS, timeZone: PRACTICE_TIME_ZONE };
  return (await must(CREATE_CABINET, { input }, 'admin')).createCabinet;
}

async function cabinetAsAdmin(id: string): Promise<{
  id: string;
  name: string;
  active: boolean;
  practitioners: { id: string; userId: string; active: boolean }[];
}> {
  return (await must(CABINET_BY_ID, { id }, 'admin')).cabinet;
}

/** Attaches a doctor's account (a user id) to the staff's `practice`, as the admin. */
async function attachToPractice(userId: string): Promise<void> {
  const input = { cabinetId: practice, userId, specialty: 'Médecine générale', rpps: rppsNumber() };
  await must(ATTACH, { input }, 'admin');
}

/** A new attachment of some doctor's account to `cabinet`, made by the admin. */
async function attachPractitioner(): Promise<{ id: string; userId: string }> {
  const input = { cabinetId: cabinet.id, userId: randomUUID(), specialty: 'Cardiologie', rpps: rppsNumber() };
  return (await must(ATTACH, { input }, 'admin')).attachPractitioner;
}

let slotsTaken = 0;
/**
 * A start time nobody else in the run uses: from 3 days ahead, every 30 minutes from 07:00 to
 * 17:30 UTC (the agendas are open all day; on the half hour, 15 minutes never cross midnight).
 */
function nextSlot(): string {
  const n = slotsTaken++;
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  start.setUTCDate(start.getUTCDate() + 3 + Math.floor(n / 22));
  start.setUTCMinutes(7 * 60 + (n % 22) * 30);
  return start.toISOString();
}

/** Opens the week of `practitionerId` at `practice` (as the secretary), all day unless said otherwise. */
async function openWeek(practitionerId: string, startTime = '00:00', endTime = '24:00'): Promise<void> {
  const rules = WEEK.map((weekday) => ({ weekday, startTime, endTime }));
  await must(
    SET_WEEK,
    { input: { practitionerId, cabinetId: practice, timeZone: PRACTICE_TIME_ZONE, rules } },
    'secretary',
  );
}

/** A disposable appointment of `file` (booked by the secretary), with the doctor unless said otherwise. */
async function bookAppointment(
  options: { startsAt?: string; pending?: boolean; practitionerId?: string } = {},
): Promise<{ id: string; status: string; startsAt: string }> {
  const input = {
    patientId: file.id,
    practitionerId: options.practitionerId ?? accounts.doctor.userId,
    cabinetId: practice,
    appointmentTypeId,
    startsAt: options.startsAt ?? nextSlot(),
    pending: options.pending ?? false,
  };
  return (await must(BOOK, { input }, 'secretary')).bookAppointment;
}

/** A walk-in draft consultation of `file`, opened by the doctor. */
async function openWalkIn(): Promise<{ id: string }> {
  const query = 'mutation W($p: ID!) { openWalkInConsultation(patientId: $p) { id } }';
  return (await must(query, { p: file.id }, 'doctor')).openWalkInConsultation;
}

/** A catalogue entry of its own (10 mg tablets), created by the admin. */
async function medication(): Promise<{ id: string; name: string }> {
  const input = { name: uniqueName('Medoc '), form: 'comprimé', strength: '10 mg' };
  const query = 'mutation M($input: MedicationInput!) { createMedication(input: $input) { id name } }';
  return (await must(query, { input }, 'admin')).createMedication;
}

/** The catalogue entries (active or not) of exactly this name, as the admin sees them. */
async function medicationsNamed(name: string): Promise<{ strength: string; active: boolean }[]> {
  const query = 'query M($s: String) { medications(search: $s, includeInactive: true) { name strength active } }';
  const found = (await must(query, { s: name }, 'admin')).medications as {
    name: string;
    strength: string;
    active: boolean;
  }[];
  return found.filter((m) => m.name === name).map(({ strength, active }) => ({ strength, active }));
}

/** A consultation as its doctor reads it (status and content). */
async function consultationAsDoctor(id: string): Promise<Record<string, any>> {
  const query = 'query C($id: ID!) { consultation(id: $id) { status reason addenda { text authorId } } }';
  return (await must(query, { id }, 'doctor')).consultation;
}

const CHECK_IN = `mutation CheckIn($id: ID!) { checkInAppointment(id: $id) { ${APPOINTMENT} } }`;
const CALL_NEXT = `mutation CallNext($cabinetId: ID!, $practitionerId: ID!) {
  callNextPatient(cabinetId: $cabinetId, practitionerId: $practitionerId) { ${APPOINTMENT} }
}`;

/**
 * An appointment of `file` a minute from now, with a practitioner of its own (attached to the
 * practice, open all day), so that only today's appointments may be checked in and no other
 * call's patient is ahead. Fails in the last quarter of an hour of the day in Paris.
 */
async function todayAppointment(): Promise<{ practitionerId: string; id: string }> {
  const practitionerId = randomUUID();
  await attachToPractice(practitionerId);
  await openWeek(practitionerId, '00:00', '24:00');
  const booked = await bookAppointment({ practitionerId, startsAt: new Date(Date.now() + 60_000).toISOString() });
  return { practitionerId, id: booked.id };
}

/** A practitioner of its own with one patient in the waiting room, checked in by the secretary. */
async function waitingPatient(): Promise<{ practitionerId: string; id: string }> {
  const today = await todayAppointment();
  await must(CHECK_IN, { id: today.id }, 'secretary');
  return today;
}

async function appointmentAsSecretary(id: string): Promise<{ id: string; status: string; startsAt: string }> {
  return (await must(`query Appointment($id: ID!) { appointment(id: $id) { ${APPOINTMENT} } }`, { id }, 'secretary'))
    .appointment;
}

before(async () => {
  system = await startTestSystem();
  const admin = await login(system.url, system.admin.email, system.admin.password);
  accounts.admin = { email: system.admin.email, password: system.admin.password, ...admin };
  // The staff's practice: a real Cabinet, its doctor attached (bookings check both).
  practice = (await createCabinet()).id;
  accounts.doctor = await createAccount({ role: 'DOCTOR', cabinetId: practice });
  await attachToPractice(accounts.doctor.userId);
  accounts.secretary = await createAccount({ role: 'SECRETARY', cabinetId: practice });
  accounts.otherPracticeDoctor = await createAccount({ role: 'DOCTOR', cabinetId: otherPractice });
  file = await registerFile('Primus');
  otherFile = await registerFile('Secundus');
  accounts.patient = await createAccount({ role: 'PATIENT', cabinetId: practice, patientId: file.id });
  accounts.otherPatient = await createAccount({ role: 'PATIENT', cabinetId: practice, patientId: otherFile.id });

  // The practice's notification of `file`'s registration (made from the Kafka event).
  notificationId = await waitFor(async () => {
    const bell = await gql(system.url, '{ myNotifications(limit: 100) { id body } }', {}, accounts.doctor.token);
    return (bell.data?.myNotifications as { id: string; body: string }[] | undefined)?.find((n) =>
      n.body.includes(file.lastName.toUpperCase()),
    )?.id;
  }, 30_000);

  // A doctor reads `file`, so its patient has an access to see in myRecordAccessLog.
  const read = await gql(system.url, PATIENT, { id: file.id }, accounts.doctor.token);
  assert.equal(read.data?.patient?.id, file.id, JSON.stringify(read));
  await waitFor(async () => {
    const log = await gql(system.url, MY_RECORD_ACCESS_LOG, {}, accounts.patient.token);
    return (log.data?.myRecordAccessLog as { action: string; userId: string }[] | undefined)?.some(
      (access) => access.action === 'patient:read' && access.userId === accounts.doctor.userId,
    );
  }, 30_000);

  // A real practice of the cabinets subgraph, and the agenda of the doctor at `practice`.
  cabinet = await createCabinet();
  appointmentTypeId = (
    await must(
      'mutation Type($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId: practice, label: 'Consultation', durationMinutes: 15 } },
      'secretary',
    )
  ).createAppointmentType.id;
  onlineTypeId = (
    await must(
      'mutation Type($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId: practice, label: 'Suivi en ligne', durationMinutes: 15, selfBookable: true } },
      'secretary',
    )
  ).createAppointmentType.id;
  await openWeek(accounts.doctor.userId);
  appointment = await bookAppointment();
  consultationId = (await openWalkIn()).id;
  prescriptionId = (
    await must(
      'mutation P($c: ID!, $input: PrescriptionInput!) { issuePrescription(consultationId: $c, input: $input) { id } }',
      { c: consultationId, input: { exams: ['Radio thorax'] } },
      'doctor',
    )
  ).issuePrescription.id;
  await must(
    `mutation Leave($input: AvailabilityExceptionInput!) { addAvailabilityException(input: $input) { id } }`,
    { input: { practitionerId: onLeave, cabinetId: practice, startDate: '2099-01-02', endDate: '2099-01-02' } },
    'secretary',
  );
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

// ---------------------------------------------------------------------------------------------
// How each operation is called, minimally and validly, and what an answer must show.

interface Call {
  query: string;
  variables?: Record<string, unknown>;
  token: string | null;
  /** Whatever the checks below need to know about the call. */
  context?: Record<string, any>;
}

interface OperationSpec {
  call(actor: Actor): Call | Promise<Call>;
  /** Further checks on an allowed answer's data. */
  allowed?(actor: Actor, data: Record<string, any>, call: Call): void | Promise<void>;
  /** Further checks after a refusal (e.g. that nothing changed). */
  refused?(actor: Actor, call: Call): void | Promise<void>;
}

const tokenOf = (actor: Actor): string | null => (actor === 'anonymous' ? null : accounts[actor].token);
/** The account a sign-in by `actor` uses; an anonymous caller signs in as the secretary. */
const credentialsOf = (actor: Actor): Account => (actor === 'anonymous' ? accounts.secretary : accounts[actor]);
const isPracticeStaff = (actor: Actor): boolean => actor === 'doctor' || actor === 'secretary';

const RECORD_ALLERGY = `mutation Record($patientId: ID!, $input: AllergyInput!) {
  recordAllergy(patientId: $patientId, input: $input) { id }
}`;

/** The active allergies of `file`, as its doctor reads them. */
async function allergiesOfFile(): Promise<{ id: string; substance: string }[]> {
  const read = await gql(
    system.url,
    'query Allergies($id: ID!) { patient(id: $id) { allergies { id substance } } }',
    { id: file.id },
    accounts.doctor.token,
  );
  if (read.errors) throw new Error(`reading allergies failed: ${JSON.stringify(read.errors)}`);
  return read.data?.patient.allergies ?? [];
}

/** The medical record of `file` (history, treatments, habits, documents), as its doctor reads it. */
async function recordOfFile(): Promise<Record<string, { id: string }[]>> {
  const read = await must(
    `query R($id: ID!) { patient(id: $id) { medicalRecord {
      medicalHistory { id condition } treatments { id medication until } habits { id value } documents { id title }
    } } }`,
    { id: file.id },
    'doctor',
  );
  return read.patient.medicalRecord;
}

/**
 * A medical-record write on `file` with a text of its own per call: allowed, the entry is in the
 * record; refused, no entry holds the text (and it is not echoed).
 */
function recordWrite(
  mutation: string,
  inputType: string,
  input: (text: string) => Record<string, unknown>,
): OperationSpec {
  return {
    call: (actor) => {
      const text = uniqueName('Entry');
      return {
        query: `mutation W($p: ID!, $input: ${inputType}!) { ${mutation}(patientId: $p, input: $input) { id } }`,
        variables: { p: file.id, input: input(text) },
        token: tokenOf(actor),
        context: { text, secrets: [text] },
      };
    },
    allowed: async (_actor, data) => {
      const ids = Object.values(await recordOfFile()).flatMap((entries) => entries.map((entry) => entry.id));
      assert.ok(ids.includes(data[mutation].id), 'in the record');
    },
    refused: async (_actor, call) => {
      assert.doesNotMatch(JSON.stringify(await recordOfFile()), new RegExp(call.context?.text), 'nothing recorded');
    },
  };
}

async function refreshRefused(refreshToken: string): Promise<void> {
  const again = await gql(system.url, REFRESH, { refreshToken });
  assert.equal(again.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(again));
}

const OPERATIONS: Record<HttpOperation, OperationSpec> = {
  'Query.me': {
    call: (actor) => ({ query: '{ me { id role } }', token: tokenOf(actor) }),
    allowed: (actor, data) => assert.equal(data.me.id, credentialsOf(actor).userId),
  },
  'Query.patients': {
    call: (actor) => ({ query: SEARCH, variables: { search: file.lastName }, token: tokenOf(actor) }),
    allowed: (actor, data) =>
      assert.deepEqual(data.patients, isPracticeStaff(actor) ? [{ id: file.id, lastName: file.lastName }] : []),
  },
  'Query.patient': {
    call: (actor) => ({ query: PATIENT, variables: { id: file.id }, token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.deepEqual(data.patient, { id: file.id, lastName: file.lastName }),
  },
  'Query.myNotifications': {
    call: (actor) => ({ query: '{ myNotifications(limit: 100) { id kind } }', token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const ids = (data.myNotifications as { id: string }[]).map((n) => n.id);
      assert.equal(
        ids.includes(notificationId),
        isPracticeStaff(actor),
        'only the practice staff see its notification',
      );
    },
  },
  'Query.unreadNotificationCount': {
    call: (actor) => ({ query: '{ unreadNotificationCount }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.ok(Number.isInteger(data.unreadNotificationCount)),
  },
  'Query.auditLog': {
    call: (actor) => ({ query: '{ auditLog(limit: 1) { id outcome } }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.auditLog.length, 1),
  },
  'Query.myRecordAccessLog': {
    call: (actor) => ({ query: MY_RECORD_ACCESS_LOG, token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const log = data.myRecordAccessLog as { action: string; userId: string | null; role: string | null }[];
      if (actor === 'patient') {
        assert.ok(
          log.some((a) => a.action === 'patient:read' && a.userId === accounts.doctor.userId && a.role === 'DOCTOR'),
          'the doctor read of the patient file is listed',
        );
      } else {
        // Nobody read the other file (its registration and account are listed, and the staff's bell
        // showing its notification): the doctor's read of `file` is not shown to its neighbour.
        assert.ok(
          log.some((a) => a.action === 'registerPatient'),
          'its registration is listed',
        );
        assert.ok(
          log.every((a) => a.action !== 'patient:read'),
          JSON.stringify(log),
        );
      }
    },
  },
  'Mutation.login': {
    call: (actor) => {
      const { email, password } = credentialsOf(actor);
      return { query: SIGN_IN, variables: { email, password }, token: tokenOf(actor) };
    },
    allowed: (actor, data) => {
      assert.equal(data.login.user.id, credentialsOf(actor).userId);
      assert.match(data.login.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    },
  },
  'Mutation.refreshSession': {
    call: async (actor) => {
      const session = await signIn(credentialsOf(actor));
      return {
        query: REFRESH,
        variables: { refreshToken: session.refreshToken },
        token: tokenOf(actor),
        context: { session },
      };
    },
    allowed: (actor, data, call) => {
      assert.equal(data.refreshSession.user.id, credentialsOf(actor).userId);
      assert.notEqual(data.refreshSession.refreshToken, call.context?.session.refreshToken);
    },
  },
  'Mutation.logout': {
    call: async (actor) => {
      const query = 'mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }';
      if (actor === 'anonymous') return { query, token: null };
      // Its own fresh session, or, for the outsiders, the session of the one they reach for.
      const victim =
        actor === 'otherPracticeDoctor' ? 'doctor' : actor === 'otherPatient' ? ('patient' as const) : null;
      const own = await signIn(accounts[actor]);
      const target = victim ? await signIn(accounts[victim]) : own;
      return {
        query,
        variables: { refreshToken: target.refreshToken },
        token: own.accessToken,
        context: { target },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.logout, true);
      await refreshRefused(call.context?.target.refreshToken);
    },
    refused: async (actor, call) => {
      if (actor === 'anonymous') return;
      // The other user's session was not ended.
      const refreshed = await gql(system.url, REFRESH, { refreshToken: call.context?.target.refreshToken });
      assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
    },
  },
  'Mutation.changePassword': {
    call: async (actor) => {
      const query =
        'mutation Change($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }';
      const next = `a new password ${letters(6)}`;
      if (actor === 'anonymous') return { query, variables: { current: STAFF_PASSWORD, next }, token: null };
      const account = await accountLike(actor);
      return {
        query,
        variables: { current: account.password, next },
        token: account.token,
        context: { account, next },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.changePassword, true);
      const { account, next } = call.context as { account: Account; next: string };
      assert.equal((await login(system.url, account.email, next)).userId, account.userId);
    },
  },
  'Mutation.createStaffAccount': {
    call: (actor) => {
      const email = uniqueEmail('matrix-created');
      const input = { email, password: STAFF_PASSWORD, name: 'Created', role: 'SECRETARY', cabinetId: practice };
      return { query: STAFF_ACCOUNT, variables: { input }, token: tokenOf(actor), context: { email } };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.createStaffAccount.email, call.context?.email);
      assert.equal(data.createStaffAccount.role, 'SECRETARY');
    },
    refused: async (_actor, call) => {
      await assert.rejects(login(system.url, call.context?.email, STAFF_PASSWORD), /login failed/);
    },
  },
  'Mutation.rotateSigningKey': {
    call: (actor) => ({ query: 'mutation { rotateSigningKey }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.rotateSigningKey, true),
  },
  'Query.staffAccounts': {
    // The practice's doctor, found by email; `otherPracticeDoctor` names the practice too.
    call: (actor) => ({
      query: `query Staff($filter: StaffAccountFilter) { staffAccounts(filter: $filter) { ${STAFF_FIELDS} } }`,
      variables: { filter: { cabinetId: practice, role: 'DOCTOR', text: accounts.doctor.email } },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.deepEqual(data.staffAccounts, [
        { id: accounts.doctor.userId, email: accounts.doctor.email, name: 'Matrix Account', active: true },
      ]),
  },
  'Mutation.updateStaffAccount': {
    call: async (actor) => {
      const target = await createAccount({ role: 'SECRETARY', cabinetId: practice });
      const name = uniqueName('Renamed ');
      return {
        query: `mutation Update($id: ID!, $input: UpdateStaffAccountInput!) {
          updateStaffAccount(id: $id, input: $input) { ${STAFF_FIELDS} }
        }`,
        variables: { id: target.userId, input: { name, phone: '01 23 45 67 89' } },
        token: tokenOf(actor),
        context: { target, name },
      };
    },
    allowed: async (_actor, data, call) => {
      const { target, name } = call.context as { target: Account; name: string };
      assert.deepEqual(data.updateStaffAccount, { id: target.userId, email: target.email, name, active: true });
      assert.equal((await staffAccountAsAdmin(target.email)).name, name);
      assert.equal((await login(system.url, target.email, target.password)).userId, target.userId, 'same password');
    },
    refused: async (_actor, call) => {
      assert.equal((await staffAccountAsAdmin(call.context?.target.email)).name, 'Matrix Account', 'not renamed');
    },
  },
  'Mutation.deactivateStaffAccount': {
    call: async (actor) => {
      const target = await createAccount({ role: 'DOCTOR', cabinetId: practice });
      return {
        query: `mutation Deactivate($id: ID!) { deactivateStaffAccount(id: $id) { ${STAFF_FIELDS} } }`,
        variables: { id: target.userId },
        token: tokenOf(actor),
        context: { target },
      };
    },
    allowed: async (_actor, data, call) => {
      const { target } = call.context as { target: Account };
      assert.deepEqual(data.deactivateStaffAccount, {
        id: target.userId,
        email: target.email,
        name: 'Matrix Account',
        active: false,
      });
      await assert.rejects(login(system.url, target.email, target.password), /login failed/);
    },
    refused: async (_actor, call) => {
      const { target } = call.context as { target: Account };
      assert.equal((await login(system.url, target.email, target.password)).userId, target.userId, 'still active');
    },
  },
  'Mutation.reactivateStaffAccount': {
    call: async (actor) => {
      const target = await createAccount({ role: 'SECRETARY', cabinetId: practice });
      await must(
        `mutation Deactivate($id: ID!) { deactivateStaffAccount(id: $id) { id } }`,
        { id: target.userId },
        'admin',
      );
      return {
        query: `mutation Reactivate($id: ID!) { reactivateStaffAccount(id: $id) { ${STAFF_FIELDS} } }`,
        variables: { id: target.userId },
        token: tokenOf(actor),
        context: { target },
      };
    },
    allowed: async (_actor, data, call) => {
      const { target } = call.context as { target: Account };
      assert.equal(data.reactivateStaffAccount.active, true);
      assert.equal((await login(system.url, target.email, target.password)).userId, target.userId);
    },
    refused: async (_actor, call) => {
      const { target } = call.context as { target: Account };
      await assert.rejects(login(system.url, target.email, target.password), /login failed/, 'still deactivated');
    },
  },
  'Mutation.updateMyProfile': {
    call: async (actor) => {
      const query = `mutation Profile($input: UpdateMyProfileInput!) {
        updateMyProfile(input: $input) { id phone signature }
      }`;
      const signature = uniqueName('Dr ');
      const input = { phone: '+33 6 12 34 56 78', signature };
      if (actor === 'anonymous') return { query, variables: { input }, token: null };
      const account = await accountLike(actor);
      return { query, variables: { input }, token: account.token, context: { account, signature } };
    },
    allowed: async (_actor, data, call) => {
      const { account, signature } = call.context as { account: Account; signature: string };
      assert.deepEqual(data.updateMyProfile, { id: account.userId, phone: '+33 6 12 34 56 78', signature });
      const me = await gql(system.url, '{ me { id signature } }', {}, account.token);
      assert.deepEqual(me.data?.me, { id: account.userId, signature });
    },
  },
  'Mutation.registerPatient': {
    call: (actor) => {
      const lastName = uniqueName('Registered');
      return {
        query: REGISTER,
        variables: { input: { firstName: 'Reg', lastName, birthDate: '1990-01-01' } },
        token: tokenOf(actor),
        context: { lastName },
      };
    },
    allowed: (_actor, data, call) => assert.equal(data.registerPatient.lastName, call.context?.lastName),
    refused: async (_actor, call) => {
      const search = await gql(system.url, SEARCH, { search: call.context?.lastName }, accounts.secretary.token);
      assert.deepEqual(search.data?.patients, [], 'nothing was registered');
    },
  },
  'Mutation.recordAllergy': {
    call: (actor) => {
      const substance = uniqueName('Substance');
      return {
        query: `mutation Record($patientId: ID!, $input: AllergyInput!) {
          recordAllergy(patientId: $patientId, input: $input) { id substance }
        }`,
        variables: { patientId: file.id, input: { substance, severity: 'MILD' } },
        token: tokenOf(actor),
        context: { substance },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.recordAllergy.substance, call.context?.substance);
      assert.ok((await allergiesOfFile()).some((a) => a.id === data.recordAllergy.id));
    },
    refused: async (_actor, call) => {
      const recorded = await allergiesOfFile();
      assert.ok(!recorded.some((a) => a.substance === call.context?.substance), 'nothing was recorded');
    },
  },
  'Mutation.removeAllergy': {
    call: async (actor) => {
      // A fresh allergy of `file`, recorded by its doctor, for the actor to remove.
      const substance = uniqueName('Substance');
      const recorded = await gql(
        system.url,
        RECORD_ALLERGY,
        {
          patientId: file.id,
          input: { substance, severity: 'MODERATE' },
        },
        accounts.doctor.token,
      );
      const id = recorded.data?.recordAllergy?.id;
      if (!id) throw new Error(`recordAllergy failed: ${JSON.stringify(recorded.errors)}`);
      return {
        query: 'mutation Remove($id: ID!) { removeAllergy(id: $id) { id } }',
        variables: { id },
        token: tokenOf(actor),
        context: { id, secrets: [substance] },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.removeAllergy.id, call.context?.id);
      assert.ok(!(await allergiesOfFile()).some((a) => a.id === call.context?.id), 'no longer listed');
    },
    refused: async (_actor, call) => {
      assert.ok(
        (await allergiesOfFile()).some((a) => a.id === call.context?.id),
        'still in the record',
      );
    },
  },
  'Query.myPatientFile': {
    call: (actor) => ({ query: '{ myPatientFile { firstName lastName } }', token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const own = actor === 'patient' ? file : otherFile;
      assert.deepEqual(data.myPatientFile, { firstName: own.firstName, lastName: own.lastName });
    },
  },
  'Mutation.updatePatient': {
    // `file`'s phone, a new one per call.
    call: (actor) => {
      const phone = `+33 6 ${String(randomBytes(3).readUIntBE(0, 3) % 100000000).padStart(8, '0')}`;
      return {
        query:
          'mutation U($id: ID!, $input: UpdatePatientInput!) { updatePatient(id: $id, input: $input) { id phone } }',
        variables: { id: file.id, input: { phone } },
        token: tokenOf(actor),
        context: { phone },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.deepEqual(data.updatePatient, { id: file.id, phone: call.context?.phone });
    },
    refused: async (_actor, call) => {
      const read = await must('query P($id: ID!) { patient(id: $id) { phone } }', { id: file.id }, 'secretary');
      assert.notEqual(read.patient.phone, call.context?.phone, 'not changed');
    },
  },
  'Mutation.archivePatient': {
    // A file of its own per call (archiving `file` would hide it from the other rows' searches).
    call: async (actor) => {
      const target = await registerFile('Archived');
      return {
        query: 'mutation A($id: ID!) { archivePatient(id: $id, reason: "Moved away") { id archivedAt } }',
        variables: { id: target.id },
        token: tokenOf(actor),
        context: { target, names: [target.firstName, target.lastName] },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.archivePatient.id, call.context?.target.id);
      assert.ok(data.archivePatient.archivedAt);
    },
    refused: async (_actor, call) => {
      const read = await must(
        'query P($id: ID!) { patient(id: $id) { archivedAt } }',
        { id: call.context?.target.id },
        'secretary',
      );
      assert.equal(read.patient.archivedAt, null, 'still active');
    },
  },
  'Mutation.restorePatient': {
    call: async (actor) => {
      const target = await registerFile('Restored');
      await must(
        'mutation A($id: ID!) { archivePatient(id: $id, reason: "Test") { id } }',
        { id: target.id },
        'secretary',
      );
      return {
        query: 'mutation R($id: ID!) { restorePatient(id: $id) { id archivedAt } }',
        variables: { id: target.id },
        token: tokenOf(actor),
        context: { target },
      };
    },
    allowed: (_actor, data, call) =>
      assert.deepEqual(data.restorePatient, { id: call.context?.target.id, archivedAt: null }),
    refused: async (_actor, call) => {
      const read = await must(
        'query P($id: ID!) { patient(id: $id) { archivedAt } }',
        { id: call.context?.target.id },
        'secretary',
      );
      assert.ok(read.patient.archivedAt, 'still archived');
    },
  },
  'Mutation.addHistoryEntry': recordWrite('addHistoryEntry', 'HistoryEntryInput', (text) => ({
    kind: 'MEDICAL',
    condition: text,
  })),
  'Mutation.addTreatment': recordWrite('addTreatment', 'TreatmentInput', (text) => ({ medication: text })),
  'Mutation.recordHabit': recordWrite('recordHabit', 'HabitInput', (text) => ({
    kind: 'OTHER',
    label: 'Habitude',
    value: text,
  })),
  'Mutation.addDocument': recordWrite('addDocument', 'DocumentInput', (text) => ({
    title: text,
    kind: 'REPORT',
    contentType: 'application/pdf',
    sizeBytes: 1024,
    storageRef: `matrix/${randomUUID()}.pdf`,
  })),
  'Mutation.endTreatment': {
    // A fresh treatment of `file`, recorded by its doctor, for the actor to end.
    call: async (actor) => {
      const medication = uniqueName('Medication');
      const added = await must(
        'mutation T($p: ID!, $input: TreatmentInput!) { addTreatment(patientId: $p, input: $input) { id } }',
        { p: file.id, input: { medication } },
        'doctor',
      );
      return {
        query: 'mutation E($id: ID!) { endTreatment(id: $id) { id until } }',
        variables: { id: added.addTreatment.id },
        token: tokenOf(actor),
        context: { id: added.addTreatment.id, secrets: [medication] },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.endTreatment.id, call.context?.id);
      assert.ok(data.endTreatment.until);
    },
    refused: async (_actor, call) => {
      const treatments = (await recordOfFile()).treatments as { id: string; until: string | null }[];
      assert.equal(treatments.find((t) => t.id === call.context?.id)?.until, null, 'still ongoing');
    },
  },
  'Mutation.removeRecordEntry': {
    call: async (actor) => {
      const condition = uniqueName('Condition');
      const added = await must(
        'mutation H($p: ID!, $input: HistoryEntryInput!) { addHistoryEntry(patientId: $p, input: $input) { id } }',
        { p: file.id, input: { kind: 'MEDICAL', condition } },
        'doctor',
      );
      return {
        query: 'mutation R($id: ID!) { removeRecordEntry(id: $id) { id removedAt } }',
        variables: { id: added.addHistoryEntry.id },
        token: tokenOf(actor),
        context: { id: added.addHistoryEntry.id, secrets: [condition] },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.removeRecordEntry.id, call.context?.id);
      const history = (await recordOfFile()).medicalHistory as { id: string }[];
      assert.ok(!history.some((entry) => entry.id === call.context?.id), 'no longer listed');
    },
    refused: async (_actor, call) => {
      const history = (await recordOfFile()).medicalHistory as { id: string }[];
      assert.ok(
        history.some((entry) => entry.id === call.context?.id),
        'still in the record',
      );
    },
  },
  'Mutation.markNotificationRead': {
    call: (actor) => ({
      query: 'mutation Read($id: ID!) { markNotificationRead(id: $id) { id read } }',
      variables: { id: notificationId },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) => assert.deepEqual(data.markNotificationRead, { id: notificationId, read: true }),
  },
  'Query.cabinets': {
    call: (actor) => ({ query: `{ cabinets { ${CABINET} } }`, token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const ids = (data.cabinets as { id: string }[]).map((c) => c.id);
      // The admin sees every practice; practice staff their own (`otherPractice` has no Cabinet row).
      if (actor === 'admin') assert.ok(ids.includes(cabinet.id) && ids.includes(practice), JSON.stringify(data));
      else if (actor === 'otherPracticeDoctor') assert.deepEqual(ids, []);
      else assert.deepEqual(ids, [practice]);
    },
  },
  'Query.cabinet': {
    call: (actor) => ({
      query: `query Cabinet($id: ID!) { cabinet(id: $id) { ${CABINET} } }`,
      variables: { id: cabinet.id },
      token: tokenOf(actor),
      context: { secrets: [cabinet.name] },
    }),
    allowed: (_actor, data) => assert.deepEqual(data.cabinet, { ...cabinet, active: true }),
  },
  'Query.myCabinet': {
    // The admin belongs to no practice (FORBIDDEN from the service); practice staff read theirs;
    // `otherPractice` has no Cabinet row in the cabinets subgraph: NOT_FOUND.
    call: (actor) => ({ query: `{ myCabinet { ${CABINET} } }`, token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.myCabinet.id, practice),
  },
  'Mutation.createCabinet': {
    call: (actor) => {
      const name = uniqueName('Cabinet ');
      const input = { name, specialty: 'Pédiatrie', address: ADDRESS, timeZone: 'Europe/Paris' };
      return { query: CREATE_CABINET, variables: { input }, token: tokenOf(actor), context: { name } };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.createCabinet.name, call.context?.name);
      assert.equal(data.createCabinet.active, true);
    },
    refused: async (_actor, call) => {
      const all = await must(`{ cabinets(includeInactive: true) { name } }`, {}, 'admin');
      assert.ok(!(all.cabinets as { name: string }[]).some((c) => c.name === call.context?.name), 'nothing created');
    },
  },
  'Mutation.updateCabinet': {
    call: async (actor) => {
      const target = await createCabinet();
      const name = uniqueName('Renamed ');
      return {
        query: `mutation Update($id: ID!, $input: UpdateCabinetInput!) { updateCabinet(id: $id, input: $input) { ${CABINET} } }`,
        variables: { id: target.id, input: { name } },
        token: tokenOf(actor),
        context: { target, name },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.deepEqual(data.updateCabinet, { id: call.context?.target.id, name: call.context?.name, active: true });
      assert.equal((await cabinetAsAdmin(call.context?.target.id)).name, call.context?.name);
    },
    refused: async (_actor, call) => {
      assert.equal((await cabinetAsAdmin(call.context?.target.id)).name, call.context?.target.name, 'not renamed');
    },
  },
  'Mutation.deactivateCabinet': {
    call: async (actor) => {
      const target = await createCabinet();
      return {
        query: `mutation Deactivate($id: ID!) { deactivateCabinet(id: $id) { ${CABINET} } }`,
        variables: { id: target.id },
        token: tokenOf(actor),
        context: { target },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.deepEqual(data.deactivateCabinet, { ...call.context?.target, active: false });
      assert.equal((await cabinetAsAdmin(call.context?.target.id)).active, false);
    },
    refused: async (_actor, call) => {
      assert.equal((await cabinetAsAdmin(call.context?.target.id)).active, true, 'still active');
    },
  },
  'Mutation.attachPractitioner': {
    call: (actor) => {
      const input = { cabinetId: cabinet.id, userId: randomUUID(), specialty: 'Cardiologie', rpps: rppsNumber() };
      return { query: ATTACH, variables: { input }, token: tokenOf(actor), context: { userId: input.userId } };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.attachPractitioner.userId, call.context?.userId);
      assert.equal(data.attachPractitioner.active, true);
      const { practitioners } = await cabinetAsAdmin(cabinet.id);
      assert.ok(practitioners.some((p) => p.id === data.attachPractitioner.id));
    },
    refused: async (_actor, call) => {
      const { practitioners } = await cabinetAsAdmin(cabinet.id);
      assert.ok(!practitioners.some((p) => p.userId === call.context?.userId), 'nothing attached');
    },
  },
  'Mutation.detachPractitioner': {
    call: async (actor) => {
      const attached = await attachPractitioner();
      return {
        query: 'mutation Detach($id: ID!) { detachPractitioner(id: $id) { id userId active } }',
        variables: { id: attached.id },
        token: tokenOf(actor),
        context: { attached },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.deepEqual(data.detachPractitioner, { ...call.context?.attached, active: false });
      const { practitioners } = await cabinetAsAdmin(cabinet.id);
      assert.ok(!practitioners.some((p) => p.id === call.context?.attached.id), 'no longer attached');
    },
    refused: async (_actor, call) => {
      const { practitioners } = await cabinetAsAdmin(cabinet.id);
      assert.ok(
        practitioners.some((p) => p.id === call.context?.attached.id),
        'still attached',
      );
    },
  },
  'Query.availableSlots': {
    call: (actor) => {
      const from = new Date(Date.now() + 40 * 86_400_000);
      const to = new Date(from.getTime() + 2 * 86_400_000);
      return {
        query: `query Slots($practitionerId: ID!, $cabinetId: ID!, $from: String!, $to: String!, $typeId: ID!) {
          availableSlots(practitionerId: $practitionerId, cabinetId: $cabinetId, from: $from, to: $to, appointmentTypeId: $typeId) { startsAt endsAt }
        }`,
        variables: {
          practitionerId: accounts.doctor.userId,
          cabinetId: practice,
          from: from.toISOString(),
          to: to.toISOString(),
          typeId: appointmentTypeId,
        },
        token: tokenOf(actor),
      };
    },
    allowed: (_actor, data) => assert.ok(data.availableSlots.length > 0, 'two open days have free slots'),
  },
  'Query.myDataExport': {
    call: (actor) => ({
      query: '{ myDataExport { patientId account { id } appointments { id } notifications { id } accessLog { at } } }',
      token: tokenOf(actor),
    }),
    allowed: (actor, data) => {
      // Each patient account exports its own file only.
      assert.equal(data.myDataExport.patientId, actor === 'patient' ? file.id : otherFile.id);
      assert.equal(data.myDataExport.account.id, credentialsOf(actor).userId);
      const ids = (data.myDataExport.appointments as { id: string }[]).map((a) => a.id);
      assert.equal(ids.includes(appointment.id), actor === 'patient', JSON.stringify(data));
    },
  },
  'Query.myAppointments': {
    call: (actor) => ({ query: '{ myAppointments { id startsAt status } }', token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const ids = (data.myAppointments as { id: string }[]).map((a) => a.id);
      // `file` (the patient's) has the appointment booked in before(); `otherFile` has none of it.
      assert.equal(ids.includes(appointment.id), actor === 'patient', JSON.stringify(data));
    },
  },
  'Query.appointment': {
    call: (actor) => ({
      query: `query Appointment($id: ID!) { appointment(id: $id) { ${APPOINTMENT} } }`,
      variables: { id: appointment.id },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) => {
      assert.equal(data.appointment.id, appointment.id);
      assert.equal(data.appointment.startsAt, appointment.startsAt);
    },
  },
  'Query.appointments': {
    call: (actor) => ({
      query: `query Appointments($cabinetId: ID!, $from: String!, $to: String!) {
        appointments(cabinetId: $cabinetId, from: $from, to: $to) { id startsAt }
      }`,
      variables: {
        cabinetId: practice,
        from: new Date().toISOString(),
        to: new Date(Date.now() + 60 * 86_400_000).toISOString(),
      },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.ok(
        (data.appointments as { id: string }[]).some((a) => a.id === appointment.id),
        JSON.stringify(data),
      ),
  },
  'Query.appointmentTypes': {
    call: (actor) => ({
      query: 'query Types($cabinetId: ID!) { appointmentTypes(cabinetId: $cabinetId) { id label durationMinutes } }',
      variables: { cabinetId: practice },
      token: tokenOf(actor),
    }),
    allowed: (actor, data) => {
      const ids = (data.appointmentTypes as { id: string }[]).map((t) => t.id);
      // Patients are offered the self-bookable types only.
      if (isPracticeStaff(actor)) assert.ok(ids.includes(appointmentTypeId) && ids.includes(onlineTypeId), ids.join());
      else assert.deepEqual(ids, [onlineTypeId]);
    },
  },
  'Query.weeklyAvailability': {
    call: (actor) => ({
      query: `query Week($practitionerId: ID!, $cabinetId: ID!) {
        weeklyAvailability(practitionerId: $practitionerId, cabinetId: $cabinetId) { weekday startTime endTime timeZone }
      }`,
      variables: { practitionerId: accounts.doctor.userId, cabinetId: practice },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.deepEqual(
        data.weeklyAvailability,
        WEEK.map((weekday) => ({ weekday, startTime: '00:00', endTime: '24:00', timeZone: PRACTICE_TIME_ZONE })),
      ),
  },
  'Query.availabilityExceptions': {
    call: (actor) => ({
      query: `query Leave($practitionerId: ID!, $cabinetId: ID!) {
        availabilityExceptions(practitionerId: $practitionerId, cabinetId: $cabinetId) { startDate endDate }
      }`,
      variables: { practitionerId: onLeave, cabinetId: practice },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.ok(
        (data.availabilityExceptions as { startDate: string }[]).some((e) => e.startDate === '2099-01-02'),
        JSON.stringify(data),
      ),
  },
  'Mutation.bookAppointment': {
    call: (actor) => {
      const startsAt = nextSlot();
      const input = {
        patientId: file.id,
        practitionerId: accounts.doctor.userId,
        cabinetId: practice,
        appointmentTypeId,
        startsAt,
      };
      return { query: BOOK, variables: { input }, token: tokenOf(actor), context: { startsAt } };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.bookAppointment.status, 'BOOKED');
      assert.equal(data.bookAppointment.startsAt, call.context?.startsAt);
    },
    refused: async (_actor, call) => {
      const from = call.context?.startsAt as string;
      const to = new Date(new Date(from).getTime() + 15 * 60_000).toISOString();
      const listed = await must(
        'query List($cabinetId: ID!, $from: String!, $to: String!) { appointments(cabinetId: $cabinetId, from: $from, to: $to) { id } }',
        { cabinetId: practice, from, to },
        'secretary',
      );
      assert.deepEqual(listed.appointments, [], 'nothing booked');
    },
  },
  'Mutation.confirmAppointment': {
    call: async (actor) => {
      const pending = await bookAppointment({ pending: true });
      return {
        query: `mutation Confirm($id: ID!) { confirmAppointment(id: $id) { ${APPOINTMENT} } }`,
        variables: { id: pending.id },
        token: tokenOf(actor),
        context: { id: pending.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.confirmAppointment.id, call.context?.id);
      assert.equal(data.confirmAppointment.status, 'BOOKED');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'PENDING', 'still pending');
    },
  },
  'Mutation.cancelAppointment': {
    call: async (actor) => {
      const booked = await bookAppointment();
      return {
        query: `mutation Cancel($id: ID!, $reason: String!) { cancelAppointment(id: $id, reason: $reason) { ${APPOINTMENT} } }`,
        variables: { id: booked.id, reason: 'Patient unavailable' },
        token: tokenOf(actor),
        context: { id: booked.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.cancelAppointment.id, call.context?.id);
      assert.equal(data.cancelAppointment.status, 'CANCELLED');
      assert.equal(data.cancelAppointment.cancellationReason, 'Patient unavailable');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'BOOKED', 'not cancelled');
    },
  },
  'Mutation.markNoShow': {
    // Only a started appointment can be a no-show, and none can be booked in the past: each call
    // books, for a practitioner of its own open around the clock, one starting in 2 seconds, and
    // the allowed callers wait for it to start.
    call: async (actor) => {
      const practitionerId = randomUUID();
      await attachToPractice(practitionerId);
      await openWeek(practitionerId, '00:00', '24:00');
      const startsAt = new Date(Date.now() + 2_000).toISOString();
      const booked = await bookAppointment({ practitionerId, startsAt });
      if (MATRIX['Mutation.markNoShow'][actor] === ALLOWED) {
        await sleep(new Date(startsAt).getTime() - Date.now() + 200);
      }
      return {
        query: `mutation NoShow($id: ID!) { markNoShow(id: $id) { ${APPOINTMENT} } }`,
        variables: { id: booked.id },
        token: tokenOf(actor),
        context: { id: booked.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.markNoShow.id, call.context?.id);
      assert.equal(data.markNoShow.status, 'NO_SHOW');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'BOOKED', 'unchanged');
    },
  },
  'Query.waitingRoom': {
    call: async (actor) => {
      const waiting = await waitingPatient();
      return {
        query: `query Room($cabinetId: ID!, $practitionerId: ID!) {
          waitingRoom(cabinetId: $cabinetId, practitionerId: $practitionerId) {
            position estimatedWaitMinutes arrivedAt appointment { id status }
          }
        }`,
        variables: { cabinetId: practice, practitionerId: waiting.practitionerId },
        token: tokenOf(actor),
        context: { id: waiting.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.waitingRoom.length, 1);
      assert.equal(data.waitingRoom[0].position, 1);
      assert.equal(data.waitingRoom[0].estimatedWaitMinutes, 0);
      assert.deepEqual(data.waitingRoom[0].appointment, { id: call.context?.id, status: 'ARRIVED' });
    },
  },
  'Mutation.checkInAppointment': {
    call: async (actor) => {
      const booked = await todayAppointment();
      return { query: CHECK_IN, variables: { id: booked.id }, token: tokenOf(actor), context: { id: booked.id } };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.checkInAppointment.id, call.context?.id);
      assert.equal(data.checkInAppointment.status, 'ARRIVED');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'BOOKED', 'not checked in');
    },
  },
  'Mutation.callNextPatient': {
    call: async (actor) => {
      const waiting = await waitingPatient();
      return {
        query: CALL_NEXT,
        variables: { cabinetId: practice, practitionerId: waiting.practitionerId },
        token: tokenOf(actor),
        context: { id: waiting.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.callNextPatient.id, call.context?.id);
      assert.equal(data.callNextPatient.status, 'IN_CONSULTATION');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'ARRIVED', 'still waiting');
    },
  },
  'Mutation.completeAppointment': {
    call: async (actor) => {
      const waiting = await waitingPatient();
      await must(CALL_NEXT, { cabinetId: practice, practitionerId: waiting.practitionerId }, 'doctor');
      return {
        query: `mutation Complete($id: ID!) { completeAppointment(id: $id) { ${APPOINTMENT} } }`,
        variables: { id: waiting.id },
        token: tokenOf(actor),
        context: { id: waiting.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.completeAppointment.id, call.context?.id);
      assert.equal(data.completeAppointment.status, 'FULFILLED');
    },
    refused: async (_actor, call) => {
      assert.equal((await appointmentAsSecretary(call.context?.id)).status, 'IN_CONSULTATION', 'still in consultation');
    },
  },
  'Mutation.rescheduleAppointment': {
    call: async (actor) => {
      const booked = await bookAppointment();
      const startsAt = nextSlot();
      return {
        query: `mutation Move($id: ID!, $startsAt: String!) { rescheduleAppointment(id: $id, startsAt: $startsAt) { ${APPOINTMENT} } }`,
        variables: { id: booked.id, startsAt },
        token: tokenOf(actor),
        context: { booked, startsAt },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.rescheduleAppointment.id, call.context?.booked.id);
      assert.equal(data.rescheduleAppointment.startsAt, call.context?.startsAt);
    },
    refused: async (_actor, call) => {
      const { startsAt } = await appointmentAsSecretary(call.context?.booked.id);
      assert.equal(startsAt, call.context?.booked.startsAt, 'not moved');
    },
  },
  'Mutation.setWeeklyAvailability': {
    // A practitioner of its own per call: the doctor's week stays as the bookings need it.
    call: async (actor) => {
      const practitionerId = randomUUID();
      await attachToPractice(practitionerId);
      const rules = [{ weekday: 'MONDAY', startTime: '09:00', endTime: '12:30' }];
      return {
        query: SET_WEEK,
        variables: { input: { practitionerId, cabinetId: practice, timeZone: PRACTICE_TIME_ZONE, rules } },
        token: tokenOf(actor),
        context: { practitionerId },
      };
    },
    allowed: (_actor, data) =>
      assert.deepEqual(
        data.setWeeklyAvailability.map(({ id: _id, ...rule }: Record<string, unknown>) => rule),
        [{ weekday: 'MONDAY', startTime: '09:00', endTime: '12:30', timeZone: PRACTICE_TIME_ZONE }],
      ),
    refused: async (_actor, call) => {
      const week = await must(
        'query Week($p: ID!, $c: ID!) { weeklyAvailability(practitionerId: $p, cabinetId: $c) { id } }',
        { p: call.context?.practitionerId, c: practice },
        'secretary',
      );
      assert.deepEqual(week.weeklyAvailability, [], 'nothing set');
    },
  },
  'Mutation.addAvailabilityException': {
    // Leave for a practitioner id of its own per call, never the doctor (whose agenda stays open).
    call: (actor) => {
      const practitionerId = randomUUID();
      return {
        query: `mutation Leave($input: AvailabilityExceptionInput!) {
          addAvailabilityException(input: $input) { practitionerId startDate endDate reason }
        }`,
        variables: {
          input: {
            practitionerId,
            cabinetId: practice,
            startDate: '2099-03-01',
            endDate: '2099-03-07',
            reason: 'Congés',
          },
        },
        token: tokenOf(actor),
        context: { practitionerId },
      };
    },
    allowed: (_actor, data, call) =>
      assert.deepEqual(data.addAvailabilityException, {
        practitionerId: call.context?.practitionerId,
        startDate: '2099-03-01',
        endDate: '2099-03-07',
        reason: 'Congés',
      }),
    refused: async (_actor, call) => {
      const leave = await must(
        'query Leave($p: ID!, $c: ID!) { availabilityExceptions(practitionerId: $p, cabinetId: $c) { id } }',
        { p: call.context?.practitionerId, c: practice },
        'secretary',
      );
      assert.deepEqual(leave.availabilityExceptions, [], 'nothing added');
    },
  },
  'Query.consultation': {
    // The practice's consultation; `otherPracticeDoctor` names it too. Metadata only: the secretary may read it.
    call: (actor) => ({
      query: 'query C($id: ID!) { consultation(id: $id) { id status patient { id } } }',
      variables: { id: consultationId },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.deepEqual(data.consultation, { id: consultationId, status: 'DRAFT', patient: { id: file.id } }),
  },
  'Query.consultations': {
    call: (actor) => ({
      query: 'query C($p: ID!) { consultations(patientId: $p) { id } }',
      variables: { p: file.id },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) =>
      assert.ok(
        (data.consultations as { id: string }[]).some((c) => c.id === consultationId),
        JSON.stringify(data),
      ),
  },
  'Query.diagnosisCodes': {
    call: (actor) => ({ query: '{ diagnosisCodes(search: "I10") { code label } }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.diagnosisCodes[0]?.code, 'I10'),
  },
  'Mutation.openConsultation': {
    // An appointment of its own per call: one consultation per appointment.
    call: async (actor) => {
      const booked = await bookAppointment();
      return {
        query: 'mutation O($a: ID!) { openConsultation(appointmentId: $a) { id status appointment { id } } }',
        variables: { a: booked.id },
        token: tokenOf(actor),
        context: { appointmentId: booked.id },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.openConsultation.status, 'DRAFT');
      assert.deepEqual(data.openConsultation.appointment, { id: call.context?.appointmentId });
    },
    refused: async (_actor, call) => {
      const read = await must(
        'query A($id: ID!) { appointment(id: $id) { consultation { id } } }',
        { id: call.context?.appointmentId },
        'doctor',
      );
      assert.equal(read.appointment.consultation, null, 'no consultation opened');
    },
  },
  'Mutation.openWalkInConsultation': {
    call: (actor) => ({
      query: 'mutation W($p: ID!) { openWalkInConsultation(patientId: $p) { id status appointment { id } } }',
      variables: { p: file.id },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) => {
      assert.equal(data.openWalkInConsultation.status, 'DRAFT');
      assert.equal(data.openWalkInConsultation.appointment, null);
    },
  },
  'Mutation.updateConsultation': {
    // A draft of the doctor's own per call.
    call: async (actor) => {
      const draft = await openWalkIn();
      return {
        query: `mutation U($id: ID!, $input: UpdateConsultationInput!) {
          updateConsultation(id: $id, input: $input) { id status }
        }`,
        variables: { id: draft.id, input: { reason: 'Toux', vitals: { temperatureCelsius: 37.8 } } },
        token: tokenOf(actor),
        context: { id: draft.id, secrets: ['Toux'] },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.updateConsultation.id, call.context?.id);
      assert.equal((await consultationAsDoctor(call.context?.id)).reason, 'Toux');
    },
    refused: async (_actor, call) => {
      assert.equal((await consultationAsDoctor(call.context?.id)).reason, null, 'not changed');
    },
  },
  'Mutation.signConsultation': {
    call: async (actor) => {
      const draft = await openWalkIn();
      return {
        query: 'mutation S($id: ID!) { signConsultation(id: $id) { id status signedAt } }',
        variables: { id: draft.id },
        token: tokenOf(actor),
        context: { id: draft.id },
      };
    },
    allowed: (_actor, data) => assert.equal(data.signConsultation.status, 'SIGNED'),
    refused: async (_actor, call) => {
      assert.equal((await consultationAsDoctor(call.context?.id)).status, 'DRAFT', 'not signed');
    },
  },
  'Mutation.addAddendum': {
    // A signed consultation of the doctor's own per call.
    call: async (actor) => {
      const signed = await openWalkIn();
      await must('mutation S($id: ID!) { signConsultation(id: $id) { id } }', { id: signed.id }, 'doctor');
      return {
        query: 'mutation A($id: ID!, $text: String!) { addAddendum(id: $id, text: $text) { id status } }',
        variables: { id: signed.id, text: 'Résultats normaux' },
        token: tokenOf(actor),
        context: { id: signed.id, secrets: ['Résultats normaux'] },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.addAddendum.status, 'SIGNED');
      const addenda = (await consultationAsDoctor(call.context?.id)).addenda as { text: string; authorId: string }[];
      assert.deepEqual(addenda, [{ text: 'Résultats normaux', authorId: accounts.doctor.userId }]);
    },
    refused: async (_actor, call) => {
      assert.deepEqual((await consultationAsDoctor(call.context?.id)).addenda, [], 'nothing added');
    },
  },
  'Query.medications': {
    call: async (actor) => {
      const entry = await medication();
      return {
        query: 'query M($s: String) { medications(search: $s) { id name active } }',
        variables: { s: entry.name.toLowerCase() },
        token: tokenOf(actor),
        context: { id: entry.id },
      };
    },
    allowed: (_actor, data, call) =>
      assert.deepEqual(
        data.medications.map((m: { id: string }) => m.id),
        [call.context?.id],
      ),
  },
  'Mutation.createMedication': {
    call: (actor) => {
      const name = uniqueName('Medoc ');
      return {
        query: 'mutation M($input: MedicationInput!) { createMedication(input: $input) { id name active } }',
        variables: { input: { name, form: 'comprimé', strength: '10 mg' } },
        token: tokenOf(actor),
        context: { name },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.createMedication.name, call.context?.name);
      assert.equal(data.createMedication.active, true);
    },
    refused: async (_actor, call) => {
      assert.deepEqual(await medicationsNamed(call.context?.name), [], 'nothing created');
    },
  },
  'Mutation.updateMedication': {
    call: async (actor) => {
      const entry = await medication();
      return {
        query:
          'mutation M($id: ID!, $input: MedicationChangeInput!) { updateMedication(id: $id, input: $input) { id strength } }',
        variables: { id: entry.id, input: { strength: '20 mg' } },
        token: tokenOf(actor),
        context: { name: entry.name },
      };
    },
    allowed: (_actor, data) => assert.equal(data.updateMedication.strength, '20 mg'),
    refused: async (_actor, call) => {
      assert.deepEqual(
        (await medicationsNamed(call.context?.name)).map((m) => m.strength),
        ['10 mg'],
        'not changed',
      );
    },
  },
  'Mutation.deactivateMedication': {
    call: async (actor) => {
      const entry = await medication();
      return {
        query: 'mutation M($id: ID!) { deactivateMedication(id: $id) { id active } }',
        variables: { id: entry.id },
        token: tokenOf(actor),
        context: { name: entry.name },
      };
    },
    allowed: (_actor, data) => assert.equal(data.deactivateMedication.active, false),
    refused: async (_actor, call) => {
      assert.deepEqual(
        (await medicationsNamed(call.context?.name)).map((m) => m.active),
        [true],
        'still active',
      );
    },
  },
  'Mutation.issuePrescription': {
    // On the practice's consultation of `file` (the doctor's); a text of its own per call.
    call: (actor) => {
      const exam = uniqueName('Bilan ');
      return {
        query: `mutation P($c: ID!, $input: PrescriptionInput!) {
          issuePrescription(consultationId: $c, input: $input) { id consultationId exams }
        }`,
        variables: { c: consultationId, input: { exams: [exam] } },
        token: tokenOf(actor),
        context: { exam, secrets: [exam] },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.issuePrescription.consultationId, consultationId);
      assert.deepEqual(data.issuePrescription.exams, [call.context?.exam]);
    },
    refused: async (_actor, call) => {
      const issued = await must(
        'query P($c: ID!) { prescriptions(consultationId: $c) { exams } }',
        { c: consultationId },
        'doctor',
      );
      assert.ok(!JSON.stringify(issued.prescriptions).includes(call.context?.exam), 'nothing issued');
    },
  },
  'Query.prescription': {
    // `file`'s prescription: the patient's own; `otherPatient` and `otherPracticeDoctor` name it too.
    call: (actor) => ({
      query: 'query P($id: ID!) { prescription(id: $id) { id patientId exams } }',
      variables: { id: prescriptionId },
      token: tokenOf(actor),
      context: { secrets: ['Radio thorax'] },
    }),
    allowed: (_actor, data) =>
      assert.deepEqual(data.prescription, { id: prescriptionId, patientId: file.id, exams: ['Radio thorax'] }),
  },
  'Query.prescriptions': {
    call: (actor) => ({
      query: 'query P($c: ID!) { prescriptions(consultationId: $c) { id patientId } }',
      variables: { c: consultationId },
      token: tokenOf(actor),
      context: { secrets: ['Radio thorax'] },
    }),
    allowed: (_actor, data) =>
      assert.ok(
        (data.prescriptions as { id: string; patientId: string }[]).some((p) => p.id === prescriptionId) &&
          data.prescriptions.every((p: { patientId: string }) => p.patientId === file.id),
        JSON.stringify(data),
      ),
  },
  'Query.myPrescriptions': {
    call: (actor) => ({ query: '{ myPrescriptions { id patientId } }', token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const mine = data.myPrescriptions as { id: string; patientId: string }[];
      if (actor === 'patient')
        assert.ok(
          mine.some((p) => p.id === prescriptionId),
          JSON.stringify(mine),
        );
      else assert.deepEqual(mine, [], 'nobody else has prescriptions');
    },
  },
  'Mutation.createAppointmentType': {
    call: (actor) => {
      const label = uniqueName('Vaccination ');
      return {
        query:
          'mutation Type($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id label durationMinutes } }',
        variables: { input: { cabinetId: practice, label, durationMinutes: 20 } },
        token: tokenOf(actor),
        context: { label },
      };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.createAppointmentType.label, call.context?.label);
      assert.equal(data.createAppointmentType.durationMinutes, 20);
    },
    refused: async (_actor, call) => {
      const types = await must(
        'query Types($c: ID!) { appointmentTypes(cabinetId: $c) { label } }',
        { c: practice },
        'secretary',
      );
      assert.ok(!(types.appointmentTypes as { label: string }[]).some((t) => t.label === call.context?.label));
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Running one cell.

/** The names an actor has no business seeing. */
function namesHiddenFrom(actor: Actor): string[] {
  const files = isPracticeStaff(actor)
    ? []
    : actor === 'patient'
      ? [otherFile]
      : actor === 'otherPatient'
        ? [file]
        : [file, otherFile];
  return files.flatMap((f) => [f.firstName, f.lastName]);
}

function assertNothingLeaked(actor: Actor, response: RawGraphQLResponse): void {
  for (const name of namesHiddenFrom(actor)) {
    assert.doesNotMatch(response.text, new RegExp(name, 'i'), `${name} leaked to ${actor}`);
  }
  const errors = JSON.stringify(response.errors ?? []);
  assert.doesNotMatch(errors, /stack|\bSELECT\b|postgres|127\.0\.0\.1|https?:\/\//i, 'no internals in errors');
}

async function runHttpCell(operation: HttpOperation, actor: Actor): Promise<void> {
  const expected: Outcome = MATRIX[operation][actor];
  const spec = OPERATIONS[operation];
  const field = operation.split('.')[1] as string;
  const call = await spec.call(actor);
  const response = await gqlRaw(system.url, call.query, call.variables ?? {}, call.token ?? undefined);
  const dump = `${operation} as ${actor}: ${response.status} ${response.text}`;
  assertNothingLeaked(actor, response);
  if (expected !== ALLOWED) {
    for (const secret of (call.context?.secrets ?? []) as string[]) {
      assert.doesNotMatch(response.text, new RegExp(secret, 'i'), `${secret} leaked to ${actor}`);
    }
  }
  if (expected === ALLOWED) {
    assert.equal(response.status, 200, dump);
    assert.equal(response.errors, undefined, dump);
    assert.ok(response.data?.[field] !== null && response.data?.[field] !== undefined, dump);
    await spec.allowed?.(actor, response.data ?? {}, call);
    return;
  }
  assert.ok(response.requestId, 'the router names the request');
  for (const error of response.errors ?? []) assert.equal(error.extensions?.requestId, response.requestId, dump);
  if (expected === UNAUTHENTICATED) {
    assert.equal(response.status, 401, dump);
    assert.equal(response.data, undefined, dump);
    assert.equal(response.errors?.length, 1, dump);
    assert.equal(response.errors?.[0]?.extensions?.code, UNAUTHENTICATED, dump);
    assert.equal(response.errors?.[0]?.message, 'Authentication required', dump);
  } else {
    assert.equal(response.status, 200, dump);
    assert.equal(response.errors?.length, 1, dump);
    assert.equal(response.errors?.[0]?.extensions?.code, expected, dump);
    assert.deepEqual(response.errors?.[0]?.path, [field], dump);
    // Non-null root fields: null propagates to `data`.
    assert.ok(response.data === null || response.data?.[field] === null, dump);
  }
  await spec.refused?.(actor, call);
}

/** How each subscription is opened, and the field of its events that must be there. */
const SUBSCRIPTIONS: Record<
  SubscriptionOperation,
  { query: () => string; check: (data: Record<string, any>) => unknown }
> = {
  'Subscription.notificationAdded': {
    query: () => 'subscription { notificationAdded { id } }',
    check: (data) => data.notificationAdded?.id,
  },
  'Subscription.waitingRoomUpdated': {
    // The practice's waiting rooms; `otherPracticeDoctor` names it too, i.e. someone else's.
    query: () => `subscription { waitingRoomUpdated(cabinetId: "${practice}") { kind appointment { id } } }`,
    check: (data) => data.waitingRoomUpdated?.kind && data.waitingRoomUpdated?.appointment?.id,
  },
};

async function runSubscriptionCell(operation: SubscriptionOperation, actor: Actor): Promise<void> {
  const expected: Outcome = MATRIX[operation][actor];
  const spec = SUBSCRIPTIONS[operation];
  const outcome = await probeSubscription(system.wsUrl, tokenOf(actor), spec.query());
  const dump = `${operation} as ${actor}: ${JSON.stringify(outcome)}`;
  for (const name of namesHiddenFrom(actor)) assert.doesNotMatch(dump, new RegExp(name, 'i'));
  if (expected === UNAUTHENTICATED) {
    assert.equal(outcome.closed?.code, 4401, dump);
    assert.match(outcome.closed?.reason ?? '', /^Unauthorized/, dump);
    assert.deepEqual(outcome.events, [], dump);
  } else if (expected === ALLOWED) {
    // Open and quiet (an event may come, if something elsewhere in the run is announced now).
    assert.ok(outcome.connected, dump);
    assert.equal(outcome.closed, null, dump);
    assert.equal(outcome.errors, null, dump);
    assert.equal(outcome.completed, false, dump);
    for (const event of outcome.events) {
      assert.equal(event.errors, undefined, dump);
      assert.ok(spec.check(event.data ?? {}), dump);
    }
  } else {
    assert.ok(outcome.connected, dump);
    const errors = outcome.events[0]?.errors ?? outcome.errors ?? [];
    assert.ok(errors.length > 0, dump);
    for (const error of errors) assert.equal(error.extensions?.code, expected, dump);
    assert.equal(outcome.events[0]?.data ?? null, null, dump);
    // Refused when subscribing, not at the first event: the subscription is over at once.
    assert.ok(outcome.completed || outcome.errors !== null, dump);
    assert.ok(outcome.events.length <= 1, dump);
  }
}

// ---------------------------------------------------------------------------------------------

/** `Query.x`, `Mutation.y`, `Subscription.z` for every root field of a composed supergraph (its API schema). */
function rootFieldsOf(sdl: string): string[] {
  const document = parse(sdl);
  const kinds: Record<string, string> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const declared = document.definitions.flatMap((definition) =>
    definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION
      ? (definition.operationTypes ?? [])
      : [],
  );
  // The root types the schema declares, or the default names when it declares none.
  const roots = new Map<string, string>(
    declared.length > 0
      ? declared.map((root) => [root.type.name.value, kinds[root.operation] as string])
      : Object.values(kinds).map((name) => [name, name]),
  );
  const inaccessible = (directives: readonly DirectiveNode[] | undefined) =>
    (directives ?? []).some((d) => d.name.value === 'inaccessible');
  const fields: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const kind = roots.get(definition.name.value);
    if (!kind) continue;
    for (const field of definition.fields ?? []) {
      if (!inaccessible(field.directives)) fields.push(`${kind}.${field.name.value}`);
    }
  }
  return fields.sort();
}

test('the matrix has a row for exactly the root operations of the supergraph', () => {
  const sdl = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
  const inSchema = rootFieldsOf(sdl);
  assert.ok(inSchema.length > 0);
  assert.deepEqual(
    Object.keys(MATRIX).sort(),
    inSchema,
    'every root field of schema/supergraph.graphql needs a row in MATRIX (and every row a root field)',
  );
  for (const [operation, row] of Object.entries(MATRIX)) {
    assert.deepEqual(Object.keys(row).sort(), [...ACTORS].sort(), `${operation} has a column per actor`);
  }
});

for (const operation of Object.keys(MATRIX) as Operation[]) {
  describe(operation, () => {
    for (const actor of ACTORS) {
      test(`${actor}: ${MATRIX[operation][actor]}`, () =>
        operation.startsWith('Subscription.')
          ? runSubscriptionCell(operation as SubscriptionOperation, actor)
          : runHttpCell(operation as HttpOperation, actor));
    }
  });
}
