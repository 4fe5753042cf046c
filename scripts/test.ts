// Runs every check and test and ends with one line CI reads: "N passed, N failed".
//   node scripts/test.ts             everything
//   node scripts/test.ts <globs...>  only those test files (checks still run)
import { spawn } from 'node:child_process';
import { ROOT } from './compose.ts';

const TEST_FILES = [
  'packages/*/src/**/*.test.ts',
  'subgraphs/*/src/**/*.test.ts',
  'router/src/**/*.test.ts',
  'scripts/**/*.test.ts',
  'tests/e2e/**/*.test.ts',
];

function run(command: string, args: string[], onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    child.on('close', (code) => {
      if (buffer) onLine?.(buffer);
      resolve(code ?? 1);
    });
  });
}

const bin = (name: string) => `${ROOT}/node_modules/.bin/${name}`;
let passed = 0;
let failed = 0;

for (const [name, command, args] of [
  ['type-check', bin('tsc'), ['-p', 'tsconfig.json']],
  ['lint', bin('biome'), ['check', '.']],
] as const) {
  console.log(`\n== ${name}`);
  const code = await run(command, [...args]);
  console.log(`== ${name}: ${code === 0 ? 'ok' : 'FAILED'}`);
  if (code === 0) passed++;
  else failed++;
}

console.log('\n== tests');
const files = process.argv.slice(2);
let testsPassed = 0;
let testsFailed = 0;
const code = await run(
  process.execPath,
  [
    '--test',
    '--test-concurrency=1',
    // No --test-force-exit: on Node 24 it ended some files before all their tests had run, silently.
    '--test-reporter=spec',
    '--test-timeout=300000',
    ...(files.length > 0 ? files : TEST_FILES),
  ],
  (line) => {
    const pass = /^ℹ pass (\d+)$/.exec(line.trim());
    const fail = /^ℹ fail (\d+)$/.exec(line.trim());
    if (pass) testsPassed = Number(pass[1]);
    if (fail) testsFailed = Number(fail[1]);
  },
);
if (code !== 0 && testsFailed === 0) testsFailed = 1; // the runner itself failed
passed += testsPassed;
failed += testsFailed;

// After the end-to-end suite has written its audit trail, the trail's hash chain must verify.
console.log('\n== audit chain of the test database');
const prefix = `${process.env.DB_PREFIX ?? 'cabinet'}_test`;
const postgres = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const chain = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['scripts/audit-verify.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: `${postgres}/${prefix}_audit` },
  });
  child.on('close', (exit) => resolve(exit ?? 1));
});
console.log(`== audit chain: ${chain === 0 ? 'ok' : 'FAILED'}`);
if (chain === 0) passed++;
else failed++;
console.log(`\n(${testsPassed} tests and ${passed - testsPassed} checks passed)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
