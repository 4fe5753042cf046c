/** How long before an appointment its patient is reminded of it, unless configured otherwise: the day before. */
export const DEFAULT_REMINDER_LEAD_MINUTES = 24 * 60;

/**
 * When the reminder of an appointment starting at `startsAt` is due: `leadMinutes` before it. An
 * appointment booked (or moved) after that moment gets no reminder: it was just made, the patient
 * knows it.
 */
export function reminderDueAt(startsAt: Date, leadMinutes: number, now: Date): Date | null {
  const due = new Date(startsAt.getTime() - leadMinutes * 60_000);
  return due > now ? due : null;
}

/** Appointments still worth a reminder when it falls due. */
export const REMINDED_STATUSES = ['PENDING', 'BOOKED'] as const;
