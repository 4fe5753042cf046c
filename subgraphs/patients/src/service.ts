import { randomUUID } from 'node:crypto';
import { assertCan, assertSameCabinet, requireCabinet } from '@cabinet/platform/access';
import type { MikroORM } from '@cabinet/platform/database';
import { badUserInput } from '@cabinet/platform/errors';
import { envelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Caller } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { displayName, type PatientIdentityInput, validatePatientIdentity } from './domain/patient.ts';
import { Patient, type PatientRecord } from './persistence/patient.entity.ts';

export interface PatientView {
  id: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  sex: string;
  phone: string | null;
  email: string | null;
  registeredAt: string;
}

const view = (patient: PatientRecord): PatientView => ({
  id: patient.id,
  firstName: patient.firstName,
  lastName: patient.lastName,
  birthDate: patient.birthDate,
  sex: patient.sex,
  phone: patient.phone ?? null,
  email: patient.email ?? null,
  registeredAt: patient.createdAt.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PatientsServiceOptions {
  orm: MikroORM;
  log: Logger;
  topic: string;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
}

export class PatientsService {
  readonly #options: PatientsServiceOptions;

  constructor(options: PatientsServiceOptions) {
    this.#options = options;
  }

  async register(caller: Caller, input: PatientIdentityInput): Promise<PatientView> {
    const actor = assertCan(caller, 'patient:register');
    const cabinetId = requireCabinet(actor);
    const identity = validatePatientIdentity(input, new Date());
    const patient = await this.#options.orm.em.fork().transactional(async (em) => {
      const created = em.create(Patient, {
        id: randomUUID(),
        cabinetId,
        ...identity,
        createdAt: new Date(),
        createdBy: actor.userId,
      });
      const data: PatientRegistered = { patientId: created.id, cabinetId, displayName: displayName(identity) };
      recordEvent(
        em,
        this.#options.topic,
        created.id,
        envelope('patients', PATIENT_REGISTERED, cabinetId, caller, data),
      );
      return created;
    });
    this.#options.onEventsRecorded();
    this.#options.log.info({ requestId: caller.requestId, patientId: patient.id, cabinetId }, 'patient registered');
    return view(patient);
  }

  async byId(caller: Caller, id: string): Promise<PatientView> {
    const actor = assertCan(caller, 'patient:read');
    const cabinetId = requireCabinet(actor);
    const patient = UUID.test(id) ? await this.#options.orm.em.fork().findOne(Patient, { id, cabinetId }) : null;
    return view(assertSameCabinet(actor, 'Patient', id, patient));
  }

  async list(
    caller: Caller,
    args: { search?: string | null; limit?: number | null; offset?: number | null },
  ): Promise<PatientView[]> {
    const actor = assertCan(caller, 'patient:read');
    const cabinetId = requireCabinet(actor);
    const limit = args.limit ?? 50;
    const offset = args.offset ?? 0;
    if (limit < 1 || limit > 100) throw badUserInput('limit must be between 1 and 100', 'limit');
    if (offset < 0) throw badUserInput('offset cannot be negative', 'offset');
    const search = args.search?.trim();
    const pattern = search ? `%${search.replace(/[\\%_]/g, '\\$&')}%` : null;
    const patients = await this.#options.orm.em
      .fork()
      .find(
        Patient,
        pattern
          ? { cabinetId, $or: [{ firstName: { $ilike: pattern } }, { lastName: { $ilike: pattern } }] }
          : { cabinetId },
        { orderBy: { lastName: 'asc', firstName: 'asc', id: 'asc' }, limit, offset },
      );
    return patients.map(view);
  }
}
