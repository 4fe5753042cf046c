import { assertCan, can } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import { DomainError, forbidden } from '@cabinet/platform/errors';
import type { Caller, Identity } from '@cabinet/platform/identity';

const reasonOf = (error: unknown): string => (error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR');

/**
 * Who may read the medical record of `patientIds`: a `medicalRecord:read` holder (a doctor; the
 * practice is checked by the caller's query), or a PATIENT account (`patient:readOwn`) for its own
 * linked file only — asking for anyone else's is FORBIDDEN. A refusal leaves a DENIED record in
 * every patient's trail (`targets`, one per patient) and throws.
 */
export async function authorizeRecordRead(
  auditor: Auditor,
  caller: Caller,
  patientIds: readonly string[],
  targets: AuditTarget[],
  entity: string,
): Promise<Identity> {
  try {
    const identity = caller.identity;
    if (identity && !can(identity, 'medicalRecord:read') && can(identity, 'patient:readOwn')) {
      const own = identity.patientId;
      if (!own || patientIds.some((id) => id !== own)) {
        throw forbidden('A patient account reads its own medical record only');
      }
      return identity;
    }
    return assertCan(caller, 'medicalRecord:read');
  } catch (error) {
    const all = targets.length > 0 ? targets : [{ action: 'medicalRecord:read', entity }];
    await auditor.recordAllNow(caller, all, 'DENIED', reasonOf(error));
    throw error;
  }
}
