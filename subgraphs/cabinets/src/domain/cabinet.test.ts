import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  applyCabinetPatch,
  type CabinetInput,
  changedFields,
  nameKey,
  validateCabinet,
  validateLogoUrl,
  validateName,
  validateTimeZone,
} from './cabinet.ts';

const refusedNaming = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

const INPUT: CabinetInput = {
  name: '  Cabinet   des Lilas ',
  specialty: 'Médecine générale',
  address: { street: '12 rue des Lilas', postalCode: '75019', city: 'Paris', country: 'fr' },
  phone: '+33 1 23 45 67 89',
  email: 'Contact@Lilas.example',
  logoUrl: 'https://cdn.example/logo.png',
  openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '12:00' }] }],
  timeZone: 'Europe/Paris',
};

test('a practice is validated and normalized', () => {
  assert.deepEqual(validateCabinet(INPUT), {
    name: 'Cabinet des Lilas',
    specialty: 'Médecine générale',
    address: { street: '12 rue des Lilas', postalCode: '75019', city: 'Paris', country: 'FR' },
    phone: '+33 1 23 45 67 89',
    email: 'contact@lilas.example',
    logoUrl: 'https://cdn.example/logo.png',
    openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '12:00' }] }],
    timeZone: 'Europe/Paris',
  });
  const minimal = validateCabinet({ ...INPUT, phone: undefined, email: ' ', logoUrl: null, openingHours: undefined });
  assert.equal(minimal.phone, null);
  assert.equal(minimal.email, null);
  assert.equal(minimal.logoUrl, null);
  assert.deepEqual(minimal.openingHours, []);
});

test('names compare ignoring case', () => {
  assert.equal(nameKey(validateName('Cabinet DES Lilas')), nameKey(validateName('cabinet des lilas')));
});

test('time zones: IANA names the runtime knows', () => {
  assert.equal(validateTimeZone('Europe/Paris'), 'Europe/Paris');
  assert.equal(validateTimeZone('Africa/Casablanca'), 'Africa/Casablanca');
  assert.equal(validateTimeZone('UTC'), 'UTC');
  for (const zone of ['Europe/Lilas', 'CEST', '+02:00', 'europe/paris', '']) {
    assert.throws(() => validateTimeZone(zone), refusedNaming('timeZone'), zone);
  }
});

test('logo URLs: https only, no credentials', () => {
  assert.equal(validateLogoUrl('https://cdn.example/a b.png'), 'https://cdn.example/a%20b.png');
  for (const url of [
    'http://cdn.example/logo.png',
    'javascript:alert(1)',
    'data:image/png;base64,AAAA',
    '//cdn.example/logo.png',
    'https://user:secret@cdn.example/logo.png',
    `https://cdn.example/${'a'.repeat(2048)}`,
  ]) {
    assert.throws(() => validateLogoUrl(url), refusedNaming('logoUrl'), url);
  }
});

for (const [name, input, field] of [
  ['a one-letter name', { ...INPUT, name: 'A' }, 'name'],
  ['a name with markup', { ...INPUT, name: '<b>Lilas</b>' }, 'name'],
  ['an empty specialty', { ...INPUT, specialty: ' ' }, 'specialty'],
  ['an empty street', { ...INPUT, address: { ...INPUT.address, street: '' } }, 'address.street'],
  ['a bad postal code', { ...INPUT, address: { ...INPUT.address, postalCode: '7' } }, 'address.postalCode'],
  ['an empty city', { ...INPUT, address: { ...INPUT.address, city: ' ' } }, 'address.city'],
  ['an unknown country', { ...INPUT, address: { ...INPUT.address, country: 'ZZ' } }, 'address.country'],
  ['a country name', { ...INPUT, address: { ...INPUT.address, country: 'France' } }, 'address.country'],
  ['a bad phone', { ...INPUT, phone: 'call me' }, 'phone'],
  ['a bad email', { ...INPUT, email: 'nope' }, 'email'],
  [
    'bad hours',
    { ...INPUT, openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '9', closes: '10:00' }] }] },
    'openingHours.MONDAY[0].opens',
  ],
] as const) {
  test(`a practice with ${name} is refused naming ${field}`, () => {
    assert.throws(() => validateCabinet(input as CabinetInput), refusedNaming(field));
  });
}

test('an edit keeps what it leaves out, clears optional fields set to null, refuses clearing required ones', () => {
  const current = validateCabinet(INPUT);
  const edited = applyCabinetPatch(current, { timeZone: 'America/Martinique', phone: null, openingHours: [] });
  assert.deepEqual(edited, { ...current, timeZone: 'America/Martinique', phone: null, openingHours: [] });
  assert.deepEqual(changedFields(current, edited), ['phone', 'openingHours', 'timeZone']);
  assert.deepEqual(changedFields(current, applyCabinetPatch(current, {})), []);
  for (const field of ['name', 'specialty', 'address', 'timeZone', 'openingHours'] as const) {
    assert.throws(() => applyCabinetPatch(current, { [field]: null }), refusedNaming(field), field);
  }
  assert.throws(() => applyCabinetPatch(current, { logoUrl: 'http://x.example' }), refusedNaming('logoUrl'));
});
