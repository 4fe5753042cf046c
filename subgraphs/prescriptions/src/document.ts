import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';

/**
 * What a printed prescription shows, as it was when the prescription was issued: the practice,
 * the practitioner (with their signature line), the patient, the date, the lines.
 */
export interface DocumentFacts {
  prescriptionId: string;
  issuedAt: string;
  practice: {
    name: string | null;
    addressLines: string[];
    phone: string | null;
    /** IANA time zone the date is printed in. */
    timeZone: string;
  };
  practitioner: { name: string | null; specialty: string | null; rpps: string | null; signature: string | null };
  patient: { name: string | null; birthDate: string | null };
  lines: {
    name: string;
    form: string;
    strength: string;
    dosage: string;
    frequency: string;
    duration: string;
    instructions: string | null;
  }[];
  exams: string[];
}

export interface RenderedDocument {
  filename: string;
  contentType: 'application/pdf';
  bytes: Uint8Array;
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const BODY = 11;

/** "2026-11-25T09:30:00Z" → "25/11/2026" in the practice's time zone. */
export function printedDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' }).format(
    new Date(iso),
  );
}

/** "1980-02-29" → "29/02/1980". */
const printedBirthDate = (date: string): string => date.split('-').reverse().join('/');

/** A4 pages written top-down, wrapping long lines and starting a new page when one is full. */
class Writer {
  readonly #doc: PDFDocument;
  readonly #fonts: { regular: PDFFont; bold: PDFFont };
  readonly #supported: Set<number>;
  #page: PDFPage;
  #y: number;

  constructor(doc: PDFDocument, fonts: { regular: PDFFont; bold: PDFFont }) {
    this.#doc = doc;
    this.#fonts = fonts;
    this.#supported = new Set(fonts.regular.getCharacterSet());
    this.#page = doc.addPage(A4);
    this.#y = A4[1] - MARGIN;
  }

  /** The standard fonts write WinAnsi only: anything else (emoji, other scripts) prints as "?". */
  printable(value: string): string {
    return [...value.normalize('NFC')]
      .map((char) => (this.#supported.has(char.codePointAt(0) ?? 0) ? char : '?'))
      .join('');
  }

  write(value: string, options: { size?: number; bold?: boolean; indent?: number; align?: 'left' | 'right' } = {}) {
    const size = options.size ?? BODY;
    const font = options.bold ? this.#fonts.bold : this.#fonts.regular;
    const indent = options.indent ?? 0;
    const width = A4[0] - 2 * MARGIN - indent;
    for (const line of this.#wrap(this.printable(value), font, size, width)) {
      if (this.#y - size < MARGIN) {
        this.#page = this.#doc.addPage(A4);
        this.#y = A4[1] - MARGIN;
      }
      this.#y -= size * 1.35;
      const x = options.align === 'right' ? A4[0] - MARGIN - font.widthOfTextAtSize(line, size) : MARGIN + indent;
      this.#page.drawText(line, { x, y: this.#y, size, font, color: rgb(0, 0, 0) });
    }
  }

  gap(points = BODY) {
    this.#y -= points;
  }

  rule() {
    this.gap(4);
    this.#page.drawLine({
      start: { x: MARGIN, y: this.#y },
      end: { x: A4[0] - MARGIN, y: this.#y },
      thickness: 0.5,
      color: rgb(0.4, 0.4, 0.4),
    });
    this.gap(8);
  }

  #wrap(value: string, font: PDFFont, size: number, width: number): string[] {
    const lines: string[] = [];
    let current = '';
    for (const word of value.split(' ')) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && font.widthOfTextAtSize(candidate, size) > width) {
        lines.push(current);
        current = word;
      } else current = candidate;
    }
    lines.push(current);
    return lines;
  }
}

/** The printable prescription (ordonnance), as a PDF. */
export async function renderPrescription(facts: DocumentFacts): Promise<RenderedDocument> {
  const doc = await PDFDocument.create();
  const fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  };
  const { practice, practitioner, patient } = facts;
  const doctor = practitioner.name ? `Dr ${practitioner.name}` : 'Praticien';
  doc.setTitle(`Ordonnance ${facts.prescriptionId}`);
  doc.setAuthor(doctor);
  doc.setSubject([practice.name, doctor].filter(Boolean).join(' - '));
  doc.setCreator('cabinet-medical prescriptions');
  doc.setProducer('cabinet-medical');
  doc.setCreationDate(new Date(facts.issuedAt));
  doc.setModificationDate(new Date(facts.issuedAt));

  const w = new Writer(doc, fonts);
  w.write(practice.name ?? '', { size: 14, bold: true });
  for (const line of practice.addressLines) w.write(line);
  if (practice.phone) w.write(`Tél. ${practice.phone}`);
  w.gap(6);
  w.write(doctor, { bold: true });
  if (practitioner.specialty) w.write(practitioner.specialty);
  if (practitioner.rpps) w.write(`RPPS ${practitioner.rpps}`);
  w.rule();
  w.write(`Le ${printedDate(facts.issuedAt, practice.timeZone)}`, { align: 'right' });
  w.gap(4);
  const born = patient.birthDate ? `, né(e) le ${printedBirthDate(patient.birthDate)}` : '';
  w.write(`Patient : ${patient.name ?? '—'}${born}`, { bold: true });
  w.gap(10);
  w.write('ORDONNANCE', { size: 16, bold: true });
  w.gap(6);
  facts.lines.forEach((line, index) => {
    w.write(`${index + 1}. ${line.name} ${line.strength} (${line.form})`, { bold: true });
    w.write(`${line.dosage}, ${line.frequency}, pendant ${line.duration}`, { indent: 14 });
    if (line.instructions) w.write(line.instructions, { indent: 14 });
    w.gap(4);
  });
  if (facts.exams.length > 0) {
    w.gap(4);
    w.write('Examens demandés', { bold: true });
    for (const exam of facts.exams) w.write(`- ${exam}`, { indent: 14 });
  }
  w.gap(30);
  w.write(practitioner.signature ?? doctor, { align: 'right' });
  const bytes = await doc.save();
  return { filename: `ordonnance-${facts.prescriptionId}.pdf`, contentType: 'application/pdf', bytes };
}
