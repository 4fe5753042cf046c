// The printable prescription: a real PDF, re-read with pdf-lib, whose pages say what they should.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { pdfText as pageText } from '../../../tests/support/pdf.ts';
import { type DocumentFacts, printedDate, renderPrescription } from './document.ts';

const facts = (changes: Partial<DocumentFacts> = {}): DocumentFacts => ({
  prescriptionId: randomUUID(),
  issuedAt: '2026-11-25T23:30:00.000Z',
  practice: {
    name: 'Cabinet du Parc',
    addressLines: ['12 rue de la Paix', '75002 Paris'],
    phone: '01 23 45 67 89',
    timeZone: 'Europe/Paris',
  },
  practitioner: {
    name: 'Anne Martin',
    specialty: 'Médecine générale',
    rpps: '10101010101',
    signature: 'Dr A. Martin — signé électroniquement',
  },
  patient: { name: 'Hélène Durand', birthDate: '1980-02-29' },
  lines: [
    {
      name: 'Paracétamol',
      form: 'comprimé',
      strength: '500 mg',
      dosage: '1 comprimé',
      frequency: '3 fois par jour',
      duration: '5 jours',
      instructions: 'Pendant les repas',
    },
  ],
  exams: ['NFS, CRP'],
  ...changes,
});

test('the prescription is a PDF with the practice, the practitioner and their signature, the patient, the date, the lines', async () => {
  const input = facts();
  const rendered = await renderPrescription(input);
  assert.equal(rendered.contentType, 'application/pdf');
  assert.equal(rendered.filename, `ordonnance-${input.prescriptionId}.pdf`);
  assert.equal(Buffer.from(rendered.bytes.subarray(0, 5)).toString('latin1'), '%PDF-');
  const doc = await PDFDocument.load(rendered.bytes);
  assert.equal(doc.getTitle(), `Ordonnance ${input.prescriptionId}`);
  assert.equal(doc.getAuthor(), 'Dr Anne Martin');
  const text = await pageText(rendered.bytes);
  for (const expected of [
    'Cabinet du Parc',
    '12 rue de la Paix',
    '75002 Paris',
    'Tél. 01 23 45 67 89',
    'Dr Anne Martin',
    'Médecine générale',
    'RPPS 10101010101',
    'Dr A. Martin — signé électroniquement'.replace('—', '\u0097'),
    'Patient : Hélène Durand, né(e) le 29/02/1980',
    // 23:30 UTC is already the next day in Paris.
    'Le 26/11/2026',
    '1. Paracétamol 500 mg (comprimé)',
    '1 comprimé, 3 fois par jour, pendant 5 jours',
    'Pendant les repas',
    '- NFS, CRP',
  ]) {
    assert.ok(text.includes(expected), `${JSON.stringify(expected)} in:\n${text}`);
  }
});

test('the date is the practice’s local date; what cannot be printed in the standard font becomes "?"', async () => {
  assert.equal(printedDate('2026-11-25T23:30:00.000Z', 'Europe/Paris'), '26/11/2026');
  assert.equal(printedDate('2026-11-25T23:30:00.000Z', 'UTC'), '25/11/2026');
  const rendered = await renderPrescription(
    facts({ patient: { name: 'Zoë 王 😀', birthDate: null }, exams: [], lines: [] }),
  );
  const text = await pageText(rendered.bytes);
  assert.ok(text.includes('Patient : Zoë ? ?'), text);
  assert.ok(!text.includes('né(e)'), 'no birth date, no "born on"');
});

test('a long prescription wraps its lines and continues on further pages', async () => {
  const lines = Array.from({ length: 30 }, (_, index) => ({
    ...facts().lines[0],
    name: `Médicament ${index}`,
    instructions:
      'Prendre avec un grand verre d’eau, à distance des repas, sans interrompre le traitement même si les symptômes disparaissent.',
  })) as DocumentFacts['lines'];
  const rendered = await renderPrescription(facts({ lines }));
  const doc = await PDFDocument.load(rendered.bytes);
  assert.ok(doc.getPageCount() >= 2, `${doc.getPageCount()} pages`);
  const text = await pageText(rendered.bytes);
  assert.ok(text.includes('29. Médicament 28'), 'every line printed');
});
