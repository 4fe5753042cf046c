import type { EntityManager } from '@cabinet/platform/database';
import type { StaffQuery } from '../domain/staff-account.ts';
import { User, type UserRecord } from './user.entity.ts';

const LISTED = [
  'id',
  'email',
  'name',
  'role',
  'cabinetId',
  'patientId',
  'phone',
  'signature',
  'active',
  'createdAt',
  'updatedAt',
] as const;

/** An account as the list shows it: everything but its password hash. */
export type ListedUser = Omit<UserRecord, 'passwordHash'>;

/** How names and emails are compared in a search: lower case, without accents (PostgreSQL unaccent). */
const folded = (column: string): string => `lower(unaccent(${column}))`;

/**
 * One page of accounts, by name then id. The text is matched anywhere in the name or the email,
 * ignoring case and accents on both sides ("helene" finds "Hélène", "HÉLÈNE" finds "helene").
 */
export async function findStaff(em: EntityManager, query: StaffQuery): Promise<ListedUser[]> {
  if (query.roles.length === 0) return [];
  // Every column but the password hash, which a list has no use for.
  const qb = em
    .createQueryBuilder(User, 'u')
    .select(LISTED)
    .where({
      role: { $in: query.roles },
      ...(query.cabinetId ? { cabinetId: query.cabinetId } : {}),
      ...(query.active === null ? {} : { active: query.active }),
    });
  if (query.pattern) {
    qb.andWhere(`(${folded('u.name')} like ${folded('?')} or ${folded('u.email')} like ${folded('?')})`, [
      query.pattern,
      query.pattern,
    ]);
  }
  return qb.orderBy({ name: 'asc', id: 'asc' }).limit(query.limit).offset(query.offset).getResultList();
}
