/**
 * Crash under load: the whole system runs as a child process (`licensechain start`), a steady load
 * of issuance, material upload, grant and reuse (and dispute raising) runs against it — every
 * state-changing request with an Idempotency-Key —, and the process is killed with SIGKILL at a random moment while
 * requests are in flight. It is restarted on the same data folder, and then:
 *
 * - every request that was answered 2xx is intact: the license verifies (`verified: true`) at the
 *   verifier and the gateway still has its document; the material's record is there and a fresh
 *   grant + reuse returns bytes with its digest; the grant and the dispute exist; the reuse's
 *   receipt is in the holder's receipts feed; a replay of the same key answers the same ids;
 * - every request left unanswered, retried with the same key and body, succeeds without a
 *   duplicate: one license per number (one chain, one version, the same identifier), one material
 *   per owner and bytes, one grant per request (case number), one dispute per license;
 * - `licensechain verify-ledger` passes from genesis, right after the crash and at the end.
 *
 * Several rounds on one data folder: load, kill, verify-ledger, restart, check, retry.
 * `CRASH_ROUNDS` (default 4) and `CRASH_SEED` (default: random, printed) make a run repeatable in
 * its kill moments (not in the scheduling of the requests).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from '../../domain/digest';
import {
  licenseBody,
  loopbackAddress,
  multipartBody,
  pdfFile,
  startChildSystem,
  uscc,
  verifyLedgerCli,
  type ChildSystem,
  type HttpAnswer,
} from '../support/child-system';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 4);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ISSUE_WORKERS = 4;
const MATERIAL_WORKERS = 3;
/** Grants on materials already registered, and disputes on licenses already issued: more of
 *  those writes in flight when the process dies (their ids are the creating transaction's). */
const GRANT_WORKERS = 2;
const DISPUTE_WORKERS = 1;
const PURPOSE = '社会保险登记业务办理';

/** mulberry32: a small seeded generator for the kill moments. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

type State = 'pending' | 'answered' | 'refused' | 'unanswered';

/** One state-changing request: what was sent, and what became of it. */
interface Sent {
  readonly key: string;
  state: State;
  answer?: HttpAnswer;
  error?: string;
  /** Set once the request has been retried after the restart. */
  retried?: HttpAnswer;
}

interface Issue extends Sent {
  readonly n: number;
  readonly body: Record<string, unknown>;
}

interface Material extends Sent {
  readonly n: number;
  readonly holder: { codeType: string; code: string };
  readonly bytes: Buffer;
  readonly digest: string;
  readonly multipart: { body: Buffer; contentType: string };
  materialId?: string;
}

interface Grant extends Sent {
  readonly material: Material;
  readonly body: Record<string, unknown>;
  grantId?: string;
}

interface Reuse extends Sent {
  readonly grant: Grant;
  receiptId?: string;
}

interface Dispute extends Sent {
  readonly license: string;
  readonly body: Record<string, unknown>;
  disputeId?: string;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return results;
}

const ok = (a: HttpAnswer | undefined): boolean => a !== undefined && a.status >= 200 && a.status < 300;
const brief = (a: HttpAnswer | undefined): string => (a ? `${a.status} ${a.body.toString('utf8').slice(0, 300)}` : 'no answer');

t.test('crash under load: SIGKILL mid-load, restart, answered requests intact, unanswered ones retried without duplicates', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-crash-'));
  const random = seeded(SEED);
  t.comment(`seed ${SEED} (CRASH_SEED=${SEED} repeats the kill moments), ${ROUNDS} rounds, data in ${dataDir}`);
  // Every system started, so that none outlives the test, whatever happens.
  const started: ChildSystem[] = [];
  t.teardown(async () => {
    await Promise.all(started.map((s) => s.kill()));
    rmSync(dataDir, { recursive: true, force: true });
  });
  let sys: ChildSystem = await startChildSystem({ dataDir });
  started.push(sys);
  const ports = { gatewayPort: sys.gatewayPort, verifierPort: sys.verifierPort };
  t.comment(`first start ready in ${Math.round(sys.startMs)} ms`);

  // Everything sent, over all rounds.
  const issues: Issue[] = [];
  const materials: Material[] = [];
  const grants: Grant[] = [];
  const reuses: Reuse[] = [];
  const disputes: Dispute[] = [];
  let issueCount = 0;
  let materialCount = 0;
  let verifierAddress = 0;
  const nextAddress = (): string => loopbackAddress(verifierAddress++ % 64);
  let totalUnanswered = 0;
  let lastHeight = 0;

  const send = async (record: Sent, request: () => Promise<HttpAnswer>): Promise<boolean> => {
    try {
      record.answer = await request();
      record.state = ok(record.answer) ? 'answered' : 'refused';
    } catch (error) {
      record.state = 'unanswered';
      record.error = (error as Error).message;
    }
    return record.state === 'answered';
  };

  const issueRequest = (s: ChildSystem, r: Issue) => () =>
    s.call('gateway', 'POST', '/v1/licenses', { as: 'issuerA', json: r.body, headers: { 'idempotency-key': r.key } });
  const uploadRequest = (s: ChildSystem, m: Material) => () =>
    s.call('gateway', 'POST', '/v1/materials', { as: 'portal', body: m.multipart.body, headers: { 'content-type': m.multipart.contentType, 'idempotency-key': m.key } });
  const grantRequest = (s: ChildSystem, g: Grant) => () =>
    s.call('gateway', 'POST', `/v1/materials/${g.material.materialId}/grants`, { as: 'portal', json: g.body, headers: { 'idempotency-key': g.key } });
  const disputeRequest = (s: ChildSystem, d: Dispute) => () =>
    s.call('gateway', 'POST', '/v1/disputes', { as: 'verifier', json: d.body, headers: { 'idempotency-key': d.key } });
  const reuseRequest = (s: ChildSystem, u: Reuse) => () =>
    s.call('verifier', 'POST', '/v1/reuse', {
      as: 'verifier',
      json: { materialId: u.grant.material.materialId, grantId: u.grant.grantId, purpose: PURPOSE },
      headers: { 'idempotency-key': u.key },
    });

  const newGrant = (m: Material, key: string, caseNo: string): Grant => ({
    key,
    material: m,
    state: 'pending',
    body: { holder: m.holder, grantee: 'VerifierMSP', purpose: PURPOSE, caseNo, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 20 },
  });

  /** The bytes of a reuse answer are the material's, by its digest and Repr-Digest. */
  const reuseIntact = (answer: HttpAnswer, m: Material): string | undefined => {
    if (answer.status !== 200) return `reuse answered ${brief(answer)}`;
    if (digestOf(answer.body) !== m.digest) return `reuse of ${m.materialId}: bytes with digest ${digestOf(answer.body)}, registered ${m.digest}`;
    const repr = `sm3=:${Buffer.from(m.digest.slice(4), 'hex').toString('base64')}:`;
    if (answer.headers['repr-digest'] !== repr) return `reuse of ${m.materialId}: Repr-Digest ${String(answer.headers['repr-digest'])}`;
    return undefined;
  };

  for (let round = 1; round <= ROUNDS; round++) {
    await t.test(`round ${round}`, async (t) => {
      const run = `r${round}`;
      const first = { issues: issues.length, materials: materials.length, grants: grants.length, reuses: reuses.length, disputes: disputes.length };
      let stopping = false;
      const loadFailures: string[] = [];

      const issueWorker = async (): Promise<void> => {
        while (!stopping) {
          const n = ++issueCount;
          const r: Issue = { key: `crash-issue-${SEED}-${n}`, n, body: licenseBody(`${SEED % 1000}`, n), state: 'pending' };
          issues.push(r);
          await send(r, issueRequest(sys, r));
          if (r.state === 'refused') loadFailures.push(`issue ${r.key}: ${brief(r.answer)}`);
        }
      };
      const materialWorker = async (): Promise<void> => {
        while (!stopping) {
          const n = ++materialCount;
          const holder = { codeType: '001', code: uscc(n, 'MB') };
          const bytes = pdfFile(4096 + Math.floor(Math.random() * 60_000));
          const m: Material = {
            key: `crash-upload-${SEED}-${n}`,
            n,
            holder,
            bytes,
            digest: digestOf(bytes),
            multipart: multipartBody({ holderCodeType: holder.codeType, holderCode: holder.code, kind: '身份证明' }, { data: bytes, type: 'application/pdf', filename: 'id.pdf' }),
            state: 'pending',
          };
          materials.push(m);
          if (!(await send(m, uploadRequest(sys, m)))) {
            if (m.state === 'refused') loadFailures.push(`upload ${m.key}: ${brief(m.answer)}`);
            continue;
          }
          m.materialId = m.answer?.json.materialId;
          if (stopping) continue;
          const g = newGrant(m, `crash-grant-${SEED}-${n}`, `case-${SEED}-${n}`);
          grants.push(g);
          if (!(await send(g, grantRequest(sys, g)))) {
            if (g.state === 'refused') loadFailures.push(`grant ${g.key}: ${brief(g.answer)}`);
            continue;
          }
          g.grantId = g.answer?.json.grantId;
          for (let use = 1; use <= 2 && !stopping; use++) {
            const u: Reuse = { key: `crash-reuse-${SEED}-${n}-${use}`, grant: g, state: 'pending' };
            reuses.push(u);
            if (await send(u, reuseRequest(sys, u))) {
              u.receiptId = u.answer?.headers['x-receipt-id'] as string | undefined;
              const problem = reuseIntact(u.answer as HttpAnswer, m);
              if (problem) loadFailures.push(problem);
            } else if (u.state === 'refused') loadFailures.push(`reuse ${u.key}: ${brief(u.answer)}`);
          }
        }
      };

      const grantWorker = async (): Promise<void> => {
        let n = 0;
        while (!stopping) {
          const registered = materials.slice(first.materials).filter((m) => m.state === 'answered');
          if (registered.length === 0) {
            await sleep(20);
            continue;
          }
          const m = registered[Math.floor(Math.random() * registered.length)] as Material;
          const g = newGrant(m, `crash-grant-${SEED}-${m.n}-${++n}-${Math.random().toString(36).slice(2, 8)}`, `case-${SEED}-${m.n}-${n}-${Math.random().toString(36).slice(2, 8)}`);
          grants.push(g);
          if (await send(g, grantRequest(sys, g))) g.grantId = g.answer?.json.grantId;
          else if (g.state === 'refused') loadFailures.push(`grant ${g.key}: ${brief(g.answer)}`);
        }
      };
      const disputed = new Set<string>();
      const disputeWorker = async (): Promise<void> => {
        while (!stopping) {
          const issued = issues.slice(first.issues).filter((r) => r.state === 'answered' && !disputed.has(r.answer?.json.identifier));
          if (issued.length === 0) {
            await sleep(20);
            continue;
          }
          const license = (issued[Math.floor(Math.random() * issued.length)] as Issue).answer?.json.identifier as string;
          disputed.add(license);
          const d: Dispute = {
            key: `crash-dispute-${SEED}-${license}`,
            license,
            body: { subject: { kind: 'license', id: license }, reason: '登记信息与实际不符', evidence: [digestOf(license)] },
            state: 'pending',
          };
          disputes.push(d);
          if (await send(d, disputeRequest(sys, d))) d.disputeId = d.answer?.json.disputeId;
          else if (d.state === 'refused') loadFailures.push(`dispute ${d.key}: ${brief(d.answer)}`);
        }
      };

      // Load, then SIGKILL at a random moment while it runs.
      const killAfter = 1500 + Math.floor(random() * 3000);
      const workers = [
        ...Array.from({ length: ISSUE_WORKERS }, issueWorker),
        ...Array.from({ length: MATERIAL_WORKERS }, materialWorker),
        ...Array.from({ length: GRANT_WORKERS }, grantWorker),
        ...Array.from({ length: DISPUTE_WORKERS }, disputeWorker),
      ];
      await sleep(killAfter);
      const inFlight = [issues, materials, grants, reuses, disputes].reduce((n, list) => n + list.filter((r) => r.state === 'pending').length, 0);
      stopping = true;
      const diedEarly = sys.rssKb() === undefined;
      await sys.kill();
      t.notOk(diedEarly, 'the system was still running when it was killed', diedEarly ? { output: sys.output() } : {});
      await Promise.all(workers);
      t.same(loadFailures, [], 'no request was refused during the load');

      const mine = {
        issues: issues.slice(first.issues),
        materials: materials.slice(first.materials),
        grants: grants.slice(first.grants),
        reuses: reuses.slice(first.reuses),
        disputes: disputes.slice(first.disputes),
      };
      const count = (list: Sent[], state: State): number => list.filter((r) => r.state === state).length;
      const unanswered = Object.values(mine).reduce((n, list) => n + count(list, 'unanswered'), 0);
      totalUnanswered += unanswered;
      t.comment(
        `killed after ${killAfter} ms with ${inFlight} requests in flight; answered/unanswered: ` +
          Object.entries(mine)
            .map(([kind, list]) => `${kind} ${count(list, 'answered')}/${count(list, 'unanswered')}`)
            .join(', '),
      );
      const errors = [...new Set(Object.values(mine).flatMap((list: Sent[]) => list.filter((r) => r.error).map((r) => r.error as string)))];
      t.comment(`unanswered: ${errors.join('; ')}`);

      // The ledger as the crash left it verifies from genesis.
      const crashed = await verifyLedgerCli(dataDir);
      t.equal(crashed.code, 0, `verify-ledger after the crash: ${crashed.output.slice(0, 500)}`);
      t.ok(crashed.report?.ok, 'verify-ledger: ok');
      t.ok((crashed.report?.height ?? 0) >= lastHeight, `height ${crashed.report?.height} ≥ ${lastHeight}`);
      lastHeight = crashed.report?.height ?? lastHeight;

      // Restart on the same folder and ports.
      sys = await startChildSystem({ dataDir, ...ports });
      started.push(sys);
      t.comment(`restarted in ${Math.round(sys.startMs)} ms`);
      const s = sys;

      // Answered 2xx → intact.
      const broken: string[] = [];
      await mapLimit(
        mine.issues.filter((r) => r.state === 'answered'),
        8,
        async (r) => {
          const { identifier, document, digest } = r.answer?.json as { identifier: string; document: { digest: string }; digest: string };
          const verified = await s.call('verifier', 'POST', '/v1/verify/license', { json: { document }, localAddress: nextAddress() });
          if (verified.status !== 200 || verified.json.verified !== true) broken.push(`license ${identifier}: verify ${brief(verified)}`);
          const read = await s.call('gateway', 'GET', `/v1/licenses/${encodeURIComponent(identifier)}`, { as: 'issuerA' });
          if (read.status !== 200 || read.json.document?.digest !== digest || read.json.record?.docDigest !== digest) broken.push(`license ${identifier}: read ${brief(read)}`);
          const replay = await issueRequest(s, r)();
          if (!ok(replay) || replay.json.identifier !== identifier || replay.json.digest !== digest) broken.push(`license ${identifier}: replay ${brief(replay)}`);
        },
      );
      await mapLimit(
        mine.materials.filter((m) => m.state === 'answered'),
        8,
        async (m) => {
          const record = await s.call('gateway', 'GET', `/v1/materials/${m.materialId}`, { as: 'portal' });
          if (record.status !== 200 || record.json.digest !== m.digest || record.json.status !== 'ACTIVE') broken.push(`material ${m.materialId}: ${brief(record)}`);
          const replay = await uploadRequest(s, m)();
          if (!ok(replay) || replay.json.materialId !== m.materialId) broken.push(`material ${m.materialId}: replay ${brief(replay)}`);
        },
      );
      await mapLimit(
        mine.grants.filter((g) => g.state === 'answered'),
        8,
        async (g) => {
          const record = await s.call('gateway', 'GET', `/v1/grants/${g.grantId}`, { as: 'portal' });
          if (record.status !== 200 || record.json.status !== 'ACTIVE' || record.json.materialId !== g.material.materialId) broken.push(`grant ${g.grantId}: ${brief(record)}`);
          const replay = await grantRequest(s, g)();
          if (!ok(replay) || replay.json.grantId !== g.grantId) broken.push(`grant ${g.grantId}: replay ${brief(replay)}`);
        },
      );
      const receiptsOf = async (m: Material): Promise<Array<{ receiptId: string; materialId: string }>> => {
        const feed = await s.call('gateway', 'GET', `/v1/holders/receipts?codeType=${m.holder.codeType}&code=${m.holder.code}`, { as: 'portal' });
        if (feed.status !== 200) throw new Error(`receipts feed: ${brief(feed)}`);
        return feed.json;
      };
      await mapLimit(
        mine.reuses.filter((u) => u.state === 'answered'),
        8,
        async (u) => {
          const receipts = await receiptsOf(u.grant.material);
          if (!receipts.some((r) => r.receiptId === u.receiptId && r.materialId === u.grant.material.materialId)) broken.push(`receipt ${u.receiptId} missing from the holder's feed`);
        },
      );
      await mapLimit(
        mine.disputes.filter((d) => d.state === 'answered'),
        8,
        async (d) => {
          const record = await s.call('gateway', 'GET', `/v1/disputes/${d.disputeId}`, { as: 'admin' });
          if (record.status !== 200 || record.json.subjectId !== d.license || record.json.status !== 'SUBMITTED') broken.push(`dispute ${d.disputeId}: ${brief(record)}`);
          const replay = await disputeRequest(s, d)();
          if (!ok(replay) || replay.json.disputeId !== d.disputeId) broken.push(`dispute ${d.disputeId}: replay ${brief(replay)}`);
        },
      );
      t.same(broken, [], 'every request answered 2xx is intact after the crash');

      // Unanswered → retried with the same key and body: succeeds.
      const retryFailures: string[] = [];
      const retry = async (r: Sent, request: () => Promise<HttpAnswer>): Promise<HttpAnswer | undefined> => {
        const answer = await request();
        r.retried = answer;
        if (!ok(answer)) {
          retryFailures.push(`${r.key}: ${brief(answer)}`);
          return undefined;
        }
        return answer;
      };
      // Uploads first: a grant retried needs its material's id.
      await mapLimit(
        mine.materials.filter((m) => m.state === 'unanswered'),
        8,
        async (m) => {
          const answer = await retry(m, uploadRequest(s, m));
          if (answer) m.materialId = answer.json.materialId;
        },
      );
      await mapLimit(
        mine.grants.filter((g) => g.state === 'unanswered'),
        8,
        async (g) => {
          const answer = await retry(g, grantRequest(s, g));
          if (answer) g.grantId = answer.json.grantId;
        },
      );
      await mapLimit(
        mine.issues.filter((r) => r.state === 'unanswered'),
        8,
        async (r) => void (await retry(r, issueRequest(s, r))),
      );
      await mapLimit(
        mine.disputes.filter((d) => d.state === 'unanswered'),
        8,
        async (d) => {
          const answer = await retry(d, disputeRequest(s, d));
          if (answer) d.disputeId = answer.json.disputeId;
        },
      );
      await mapLimit(
        mine.reuses.filter((u) => u.state === 'unanswered'),
        8,
        async (u) => {
          const answer = await retry(u, reuseRequest(s, u));
          if (!answer) return;
          u.receiptId = answer.headers['x-receipt-id'] as string | undefined;
          const problem = reuseIntact(answer, u.grant.material);
          if (problem) retryFailures.push(problem);
        },
      );
      t.same(retryFailures, [], 'every unanswered request, retried with its key and body, succeeds');

      // No duplicates: one license per number, one material per owner and bytes, one grant per case.
      const duplicates: string[] = [];
      await mapLimit(
        mine.issues.filter((r) => r.state === 'answered' || r.retried),
        8,
        async (r) => {
          const holder = r.body.holder as { codeType: string; code: string };
          const expected = (r.answer && ok(r.answer) ? r.answer : r.retried)?.json.identifier as string;
          const found = await s.call('gateway', 'GET', `/v1/holders/licenses?codeType=${holder.codeType}&code=${holder.code}&purpose=${encodeURIComponent('崩溃恢复核对')}`, { as: 'issuerA' });
          const chains = found.json?.chains as Array<{ versions: Array<{ record: { identifier: string } }> }> | undefined;
          const identifiers = (chains ?? []).flatMap((c) => c.versions.map((v) => v.record.identifier));
          if (found.status !== 200 || chains?.length !== 1 || identifiers.length !== 1 || identifiers[0] !== expected) {
            duplicates.push(`license number ${r.body.number as string}: ${found.status} ${JSON.stringify(identifiers)} (expected [${expected}])`);
          }
        },
      );
      await mapLimit(
        mine.materials.filter((m) => m.materialId !== undefined),
        8,
        async (m) => {
          const query = `codeType=${m.holder.codeType}&code=${m.holder.code}`;
          const owned = await s.call('gateway', 'GET', `/v1/holders/materials?${query}`, { as: 'portal' });
          const same = (owned.json as Array<{ materialId: string; digest: string }>).filter((x) => x.digest === m.digest);
          if (same.length !== 1 || same[0]?.materialId !== m.materialId) duplicates.push(`material ${m.key}: ${JSON.stringify(same.map((x) => x.materialId))} (expected [${m.materialId}])`);
          const given = await s.call('gateway', 'GET', `/v1/holders/grants?${query}`, { as: 'portal' });
          for (const g of mine.grants.filter((x) => x.material === m && x.grantId !== undefined)) {
            const sameCase = (given.json as Array<{ grantId: string; caseNo: string | null }>).filter((x) => x.caseNo === g.body.caseNo);
            if (sameCase.length !== 1 || sameCase[0]?.grantId !== g.grantId) duplicates.push(`grant ${g.key}: ${JSON.stringify(sameCase.map((x) => x.grantId))} (expected [${g.grantId}])`);
          }
        },
      );
      const submitted = await s.call('gateway', 'GET', '/v1/disputes?status=SUBMITTED', { as: 'admin' });
      for (const d of mine.disputes.filter((x) => x.disputeId !== undefined)) {
        const same = (submitted.json as Array<{ disputeId: string; subjectId: string }>).filter((x) => x.subjectId === d.license);
        if (same.length !== 1 || same[0]?.disputeId !== d.disputeId) duplicates.push(`dispute ${d.key}: ${JSON.stringify(same.map((x) => x.disputeId))} (expected [${d.disputeId}])`);
      }
      t.same(duplicates, [], 'no duplicates: one license per number, one material per owner and bytes, one grant per request, one dispute per license');

      // Every material registered this round (answered or retried): a fresh grant and reuse
      // fetches bytes with its digest, and the receipt reaches the holder's feed.
      const fetchFailures: string[] = [];
      await mapLimit(
        mine.materials.filter((m) => m.materialId !== undefined),
        6,
        async (m) => {
          const g = newGrant(m, `crash-check-grant-${SEED}-${m.n}-${round}`, `check-${SEED}-${m.n}-${round}`);
          const granted = await grantRequest(s, g)();
          if (granted.status !== 201) return void fetchFailures.push(`check grant for ${m.materialId}: ${brief(granted)}`);
          g.grantId = granted.json.grantId;
          const used = await reuseRequest(s, { key: `crash-check-reuse-${SEED}-${m.n}-${round}`, grant: g, state: 'pending' })();
          const problem = reuseIntact(used, m);
          if (problem) return void fetchFailures.push(problem);
          const receipts = await receiptsOf(m);
          if (!receipts.some((r) => r.receiptId === used.headers['x-receipt-id'])) fetchFailures.push(`receipt of the check reuse of ${m.materialId} missing`);
        },
      );
      t.same(fetchFailures, [], 'every registered material is fetched again, intact, through a fresh grant and reuse');
    });
  }

  t.ok(totalUnanswered > 0, `the kills left requests unanswered (${totalUnanswered}), so retries were exercised`);

  // A graceful stop, then the whole ledger — retries and checks included — verifies from genesis.
  t.equal(await sys.stop(), 0, 'graceful stop');
  const final = await verifyLedgerCli(dataDir);
  t.equal(final.code, 0, `verify-ledger at the end: ${final.output.slice(0, 500)}`);
  t.ok(final.report?.ok, 'verify-ledger: ok');
  t.ok((final.report?.height ?? 0) > lastHeight, `height grew to ${final.report?.height}`);
  t.comment(`ledger: ${JSON.stringify(final.report)}`);
});
