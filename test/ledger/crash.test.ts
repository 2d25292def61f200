import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { newNodeSigner } from '../../certs/signer';
import { EmbeddedLedger, verifyLedger } from '../../ledger/embedded';
import { contracts } from './fixtures/asset-contract';

const ROUNDS = 5;

/** Runs the writer until killed with SIGKILL at a random moment; returns the acknowledged keys. */
function runUntilKilled(args: string[], killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'crash-writer.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'READY') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ACK ')) acked.push(Number(line.slice(4)));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer exited on its own: ${stderr}`))));
  });
}

t.test('killed with SIGKILL at random moments, the ledger reopens whole with every acknowledged commit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org1' });
  const credentials = await ca.issueIdentity({ commonName: 'writer', attrs: {} });
  const channel = { channelId: 'licensechain', organisations: [{ mspId: 'Org1MSP', rootCertificates: [ca.certificate] }] };
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify(credentials), { mode: 0o600 });
  writeFileSync(join(dir, 'channel.json'), JSON.stringify(channel));
  const ledgerDir = join(dir, 'ledger');

  let next = 0;
  const allAcked: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = 150 + Math.floor(Math.random() * 600);
    const acked = await runUntilKilled([ledgerDir, join(dir, 'credentials.json'), join(dir, 'channel.json'), String(next)], killAfter);
    allAcked.push(...acked);
    next += 100_000; // fresh key space per round: no key is written twice

    const report = await verifyLedger(ledgerDir);
    t.ok(report.ok, `round ${round}: killed after ${killAfter} ms, ${acked.length} acknowledged, chain verifies (height ${report.height})`);
    if (!report.ok) t.comment(JSON.stringify(report.mismatch));

    const ledger = await EmbeddedLedger.open({ path: ledgerDir, channel, chaincodes: [{ name: 'asset', version: '1', contracts }] });
    const contract = ledger
      .connect({ identity: { mspId: 'Org1MSP', credentials: Buffer.from(credentials.certificate) }, signer: newNodeSigner(credentials.privateKey) })
      .getContract();
    const missing: number[] = [];
    for (const n of allAcked) {
      const value = Buffer.from(await contract.evaluate('Get', { arguments: [`key-${n}`] })).toString();
      if (value !== `value-${n}`) missing.push(n);
    }
    t.same(missing, [], `round ${round}: all ${allAcked.length} acknowledged commits are present`);
    await ledger.close();
  }
  t.ok(allAcked.length > ROUNDS, 'the writer committed in every round');
});
