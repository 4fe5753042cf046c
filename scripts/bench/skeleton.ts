// Benchmark of the walking skeleton through the router, on the real PostgreSQL and Kafka:
// registers patients with a given concurrency while a staff member is subscribed, and prints the
// HTTP latency of registerPatient and the end-to-end delay until the live notification arrives.
//   node scripts/bench/skeleton.ts [count=300] [concurrency=8]
import { performance } from 'node:perf_hooks';
import { gql, login, staffMember, subscribe } from '../../tests/support/client.ts';
import { startTestSystem, uniqueEmail } from '../../tests/support/system.ts';

const count = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 8);

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const summary = (label: string, values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`;
};

const system = await startTestSystem();
try {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const secretary = await staffMember(system.url, admin.token, {
    email: uniqueEmail('bench'),
    role: 'SECRETARY',
    cabinetId: system.admin.cabinetId,
  });
  const doctor = await staffMember(system.url, admin.token, {
    email: uniqueEmail('bench'),
    role: 'DOCTOR',
    cabinetId: system.admin.cabinetId,
  });
  const feed = await subscribe(system.wsUrl, doctor.token, 'subscription { notificationAdded { patient { id } } }');
  const sentAt = new Map<string, number>();
  const httpLatency: number[] = [];
  const deliveryLatency: number[] = [];
  let next = 0;
  const receivedAt = new Map<string, number>();
  // Reads the live feed while the requests are being sent, so delivery is timed as it happens.
  const reading = (async () => {
    for (let received = 0; received < count; received++) {
      const event = await feed.next(60000).catch((error: Error) => {
        throw new Error(`${error.message}; received ${received} of ${count}`);
      });
      receivedAt.set(event.data?.notificationAdded.patient.id as string, performance.now());
    }
    for (const [id, at] of receivedAt) {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) deliveryLatency.push(at - t0);
    }
  })();
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const response = await gql(
        system.url,
        'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
        {
          input: {
            firstName: 'Bench',
            lastName: `Patient ${i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q')}`,
            birthDate: '1980-01-01',
          },
        },
        secretary.token,
      );
      httpLatency.push(performance.now() - t0);
      const id = response.data?.registerPatient?.id as string | undefined;
      if (!id) throw new Error(JSON.stringify(response.errors));
      sentAt.set(id, t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const httpSeconds = (performance.now() - started) / 1000;
  await reading;
  console.log(`registerPatient through the router: ${count} requests, concurrency ${concurrency}`);
  console.log(`  throughput: ${(count / httpSeconds).toFixed(1)} registrations/s`);
  console.log(`  ${summary('HTTP latency', httpLatency)}`);
  console.log(`  ${summary('registerPatient sent -> live notification received', deliveryLatency)}`);
  await feed.close();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await system.stop();
  process.exit();
}
