import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { type OpeningDayInput, validateOpeningHours } from './opening-hours.ts';

const refusedNaming = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('hours are normalized: calendar order, sorted intervals, closed days dropped', () => {
  assert.deepEqual(
    validateOpeningHours([
      { weekday: 'SATURDAY', intervals: [{ opens: '09:00', closes: '12:00' }] },
      { weekday: 'SUNDAY', intervals: [] },
      {
        weekday: 'MONDAY',
        intervals: [
          { opens: '14:00', closes: '18:30' },
          { opens: ' 08:30', closes: '12:00 ' },
        ],
      },
    ]),
    [
      {
        weekday: 'MONDAY',
        intervals: [
          { opens: '08:30', closes: '12:00' },
          { opens: '14:00', closes: '18:30' },
        ],
      },
      { weekday: 'SATURDAY', intervals: [{ opens: '09:00', closes: '12:00' }] },
    ],
  );
  assert.deepEqual(validateOpeningHours([]), []);
});

test('an interval may start when the previous one closes', () => {
  const hours = validateOpeningHours([
    {
      weekday: 'TUESDAY',
      intervals: [
        { opens: '08:00', closes: '12:00' },
        { opens: '12:00', closes: '23:59' },
      ],
    },
  ]);
  assert.equal(hours[0]?.intervals.length, 2);
});

const day = (intervals: OpeningDayInput['intervals'], weekday = 'MONDAY'): OpeningDayInput[] => [
  { weekday, intervals },
];

for (const [name, input, field] of [
  ['unknown weekday', day([], 'FUNDAY'), 'openingHours.weekday'],
  [
    'weekday twice',
    [...day([{ opens: '08:00', closes: '09:00' }]), ...day([{ opens: '10:00', closes: '11:00' }])],
    'openingHours.MONDAY',
  ],
  ['bad opening time', day([{ opens: '8h', closes: '12:00' }]), 'openingHours.MONDAY[0].opens'],
  ['hour 24', day([{ opens: '08:00', closes: '24:00' }]), 'openingHours.MONDAY[0].closes'],
  ['minute 60', day([{ opens: '08:60', closes: '12:00' }]), 'openingHours.MONDAY[0].opens'],
  ['closes before it opens', day([{ opens: '12:00', closes: '08:00' }]), 'openingHours.MONDAY[0].closes'],
  ['empty interval', day([{ opens: '12:00', closes: '12:00' }]), 'openingHours.MONDAY[0].closes'],
  [
    'overlapping intervals',
    day([
      { opens: '14:00', closes: '18:00' },
      { opens: '08:00', closes: '14:30' },
    ]),
    'openingHours.MONDAY[0].opens',
  ],
  [
    'one interval inside another',
    day([
      { opens: '08:00', closes: '18:00' },
      { opens: '10:00', closes: '11:00' },
    ]),
    'openingHours.MONDAY[1].opens',
  ],
  [
    'too many intervals',
    day(Array.from({ length: 7 }, (_, i) => ({ opens: `0${i}:00`, closes: `0${i}:30` }))),
    'openingHours.MONDAY',
  ],
] as const) {
  test(`opening hours with ${name} are refused naming ${field}`, () => {
    assert.throws(() => validateOpeningHours(input as OpeningDayInput[]), refusedNaming(field));
  });
}
