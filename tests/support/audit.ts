import { gql, waitFor } from './client.ts';

/** An audit record as `auditLog` returns it (every field). */
export interface AuditRow {
  id: string;
  seq: string;
  occurredAt: string;
  service: string;
  action: string;
  entity: string;
  entityId: string | null;
  patientId: string | null;
  outcome: 'ALLOWED' | 'DENIED';
  reason: string | null;
  userId: string | null;
  role: string | null;
  cabinetId: string | null;
  requestId: string | null;
  clientAddress: string | null;
}

export interface AuditFilter {
  patientId?: string;
  userId?: string;
  cabinetId?: string;
  action?: string;
  outcome?: 'ALLOWED' | 'DENIED';
  from?: string;
  to?: string;
}

const AUDIT_LOG = `query AuditLog($filter: AuditFilter, $limit: Int, $offset: Int) {
  auditLog(filter: $filter, limit: $limit, offset: $offset) {
    id seq occurredAt service action entity entityId patientId outcome reason userId role cabinetId requestId clientAddress
  }
}`;

const PAGE = 200;
const MAX_OFFSET = 10_000;

/** Every record matching `filter`, newest first, read through the router as `adminToken` (pages of 200). */
export async function auditRecords(url: string, adminToken: string, filter: AuditFilter): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (let offset = 0; offset <= MAX_OFFSET; offset += PAGE) {
    const page = await gql<{ auditLog: AuditRow[] }>(
      url,
      AUDIT_LOG,
      { filter, limit: PAGE, offset: Math.min(offset, MAX_OFFSET) },
      adminToken,
    );
    if (page.errors) throw new Error(`auditLog failed: ${JSON.stringify(page.errors)}`);
    const records = page.data?.auditLog ?? [];
    rows.push(...records);
    if (records.length < PAGE) break;
  }
  return rows;
}

/**
 * Waits (up to `timeoutMs`) until the audit trail holds at least one record for each of
 * `requestIds` among those matching `filter`, and returns the matching records by request id.
 * Records reach the trail through Kafka, so they appear a little after the request.
 */
export async function waitForAuditRecords(
  url: string,
  adminToken: string,
  filter: AuditFilter,
  requestIds: readonly string[],
  timeoutMs = 30_000,
): Promise<Map<string, AuditRow[]>> {
  const wanted = new Set(requestIds);
  let last = new Map<string, AuditRow[]>();
  try {
    return await waitFor(
      async () => {
        const byRequest = new Map<string, AuditRow[]>();
        for (const row of await auditRecords(url, adminToken, filter)) {
          if (!row.requestId || !wanted.has(row.requestId)) continue;
          byRequest.set(row.requestId, [...(byRequest.get(row.requestId) ?? []), row]);
        }
        last = byRequest;
        return [...wanted].every((id) => byRequest.has(id)) ? byRequest : null;
      },
      timeoutMs,
      500,
    );
  } catch {
    const missing = [...wanted].filter((id) => !last.has(id));
    throw new Error(
      `no audit record within ${timeoutMs} ms for request ids ${missing.join(', ')} (filter ${JSON.stringify(filter)})`,
    );
  }
}
