/**
 * Reuse with the material fetched from the custodian's gateway over real HTTP(S) (HttpMaterialSource),
 * against the real embedded system started with `custodianUrls` (LC_CUSTODIAN_URLS): the request
 * is signed with the verifier's X.509 identity and carries no token; the bytes are checked against
 * the ledger digest before the client sees them. A relay between the verifier and the gateway
 * stands for the network: it counts the requests and, on demand, alters the bytes or the query,
 * fails, or terminates TLS with a certificate of a CA the verifier is configured to trust.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { CertificateAuthority } from '../../certs/certificate-authority';
import type { FsMaterialStore } from '../../gateway/material-store';
import { ConfigError, loadConfig } from '../../system/config';
import { HttpMaterialSource } from '../../verifier/http-material-source';
import { createVerifierApp } from '../../verifier/verifier-app';
import { startTestSystem } from '../support/system';
import { VerifierTestSystem } from './support';

const HOLDER = { codeType: '111', code: '11010519491231002X' };
const PURPOSE = '社会保险登记业务办理';

type RelayMode = 'pass' | 'flip-byte' | 'reset' | 'fail-500' | 'other-query';

/** A relay to the gateway: what the network between two organisations may do. */
class Relay {
  target = '';
  mode: RelayMode = 'pass';
  readonly seen: IncomingMessage['headers'][] = [];
  readonly server: http.Server | https.Server;

  constructor(tls?: { key: string; cert: string }) {
    const handle = (req: IncomingMessage, res: ServerResponse): void => this.#handle(req, res);
    this.server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const scheme = this.server instanceof https.Server ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.seen.push(req.headers);
    if (this.mode === 'reset') return void req.socket.destroy();
    if (this.mode === 'fail-500') {
      res.writeHead(500, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'INTERNAL_ERROR', detail: 'relay failure' }));
      return;
    }
    const path = this.mode === 'other-query' ? (req.url as string).replace(/receipt=[^&]+/, 'receipt=another-receipt') : (req.url as string);
    const { host: _host, ...headers } = req.headers;
    const upstream = http.request(`${this.target}${path}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (this.mode !== 'flip-byte') return void answer.pipe(res);
      let flipped = false;
      answer
        .pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              if (!flipped && chunk.length > 50) {
                chunk = Buffer.from(chunk);
                chunk[50] = (chunk[50] as number) ^ 0x01;
                flipped = true;
              }
              callback(null, chunk);
            },
          }),
        )
        .pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

function pdfBytes(size: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919) % 251))]);
}

t.test('LC_CUSTODIAN_URLS is validated at start-up', async (t) => {
  t.same(loadConfig({}).custodianUrls, {}, 'none by default');
  t.same(loadConfig({ LC_CUSTODIAN_URLS: '{"PortalMSP":"https://gw.portal.example:7001/lc"}' }).custodianUrls, { PortalMSP: 'https://gw.portal.example:7001/lc' });
  for (const bad of ['not json', '["https://x"]', '{"bad msp":"https://x"}', '{"PortalMSP":"ftp://x"}', '{"PortalMSP":"https://x/?a=1"}', '{"PortalMSP":42}']) {
    t.throws(() => loadConfig({ LC_CUSTODIAN_URLS: bad }), ConfigError, bad);
  }
  t.match(loadConfig({ LC_CUSTODIAN_CA: 'ca.pem' }).custodianCaFile, /\/ca\.pem$/);
});

t.test('reuse over HTTP from the custodian gateway', async (t) => {
  const relay = new Relay();
  const relayUrl = await relay.listen();
  t.teardown(() => relay.close());
  const ts = await startTestSystem({ config: { custodianUrls: { PortalMSP: relayUrl } } });
  const sys = new VerifierTestSystem(ts);
  t.teardown(() => sys.close());
  relay.target = ts.gatewayUrl;
  const store = ts.system.gateway.lc.materials as FsMaterialStore;

  const upload = async (bytes: Buffer, as: 'portal' | 'issuerA' = 'portal'): Promise<{ materialId: string; digest: string }> => {
    const form = new FormData();
    form.append('holderCodeType', HOLDER.codeType);
    form.append('holderCode', HOLDER.code);
    form.append('kind', '身份证明');
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'id-card.pdf');
    const res = await fetch(`${sys.gatewayUrl}/v1/materials`, { method: 'POST', headers: sys.auth(as), body: form });
    const body = (await res.json()) as { materialId: string; digest: string };
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const grant = async (materialId: string): Promise<string> => {
    const res = await sys.call('gateway', 'POST', `/v1/materials/${materialId}/grants`, { holder: HOLDER, grantee: 'VerifierMSP', purpose: PURPOSE, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), maxUses: 10 }, 'portal');
    if (res.status !== 201) throw new Error(`grant answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.grantId as string;
  };
  const reuse = (materialId: string, grantId: string, url = sys.verifierUrl) =>
    fetch(`${url}/v1/reuse`, { method: 'POST', headers: { 'content-type': 'application/json', ...sys.auth('verifier') }, body: JSON.stringify({ materialId, grantId, purpose: PURPOSE }) });
  const delivered = async (receiptId: string): Promise<boolean> => (await sys.call('gateway', 'GET', `/v1/holders/receipts?codeType=${HOLDER.codeType}&code=${HOLDER.code}`, undefined, 'portal')).body.find((r: { receiptId: string }) => r.receiptId === receiptId)?.delivered;
  const deliveriesLeft = (): string[] => readdirSync(join(ts.dataDir, 'verifier', 'deliveries'));

  const bytes = pdfBytes(300_000);
  const material = await upload(bytes);
  const grantId = await grant(material.materialId);

  t.test('the exact bytes and digest, fetched by a signed request without a token', async (t) => {
    relay.mode = 'pass';
    const before = relay.seen.length;
    const res = await reuse(material.materialId, grantId);
    t.equal(res.status, 200);
    t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'the exact bytes');
    t.equal(res.headers.get('repr-digest'), `sm3=:${createHash('sm3').update(bytes).digest('base64')}:`);
    t.equal(relay.seen.length, before + 1, 'one request went over HTTP to the custodian');
    const sent = relay.seen.at(-1) as IncomingMessage['headers'];
    t.equal(sent['lc-msp-id'], 'VerifierMSP');
    t.match(sent['signature-input'], /^lc=\("@method" "@path" "@query" "lc-msp-id" "lc-certificate"\);created=\d+;nonce="[^"]+";keyid="[0-9a-f]{64}";alg="ecdsa-p256-sha256";tag="licensechain"$/);
    t.notOk(sent.authorization, 'no bearer token leaves the verifier');
    t.equal(await delivered(res.headers.get('x-receipt-id') as string), true, 'the custodian recorded the delivery');
  });

  t.test('custodians without a URL are served in-process', async (t) => {
    const kept = await upload(pdfBytes(10_000), 'issuerA'); // kept by AgencyAMSP
    const before = relay.seen.length;
    const res = await reuse(kept.materialId, await grant(kept.materialId));
    t.equal(res.status, 200);
    t.equal(relay.seen.length, before, 'nothing went over HTTP');
  });

  t.test('bytes altered in flight: the verifier\'s own digest check refuses them', async (t) => {
    relay.mode = 'flip-byte';
    t.teardown(() => void (relay.mode = 'pass'));
    const res = await reuse(material.materialId, grantId);
    t.equal(res.status, 502);
    t.equal(((await res.json()) as { code: string }).code, 'INTEGRITY_FAILED');
    t.match(res.headers.get('x-receipt-id'), /^[0-9a-f]{64}$/, 'the use is named');
    t.same(deliveriesLeft(), [], 'the received copy is deleted');
  });

  t.test('bytes altered on the custodian\'s disk are refused over HTTP too', async (t) => {
    const original = pdfBytes(60_000);
    const other = await upload(original);
    const path = store.pathOf(other.digest);
    const altered = Buffer.from(readFileSync(path));
    altered[1000] = (altered[1000] as number) ^ 0xff;
    writeFileSync(path, altered);
    t.teardown(() => writeFileSync(path, original));
    const res = await reuse(other.materialId, await grant(other.materialId));
    t.equal(res.status, 502);
    t.match(res.headers.get('content-type'), /problem\+json/, 'never the bytes');
    t.equal(((await res.json()) as { code: string }).code, 'INTEGRITY_FAILED');
    t.same(deliveriesLeft(), []);
  });

  t.test('a custodian that fails or cannot be reached: UPSTREAM_UNAVAILABLE', async (t) => {
    t.teardown(() => void (relay.mode = 'pass'));
    for (const mode of ['reset', 'fail-500'] as const) {
      relay.mode = mode;
      const res = await reuse(material.materialId, grantId);
      t.equal(res.status, 502, mode);
      t.equal(((await res.json()) as { code: string }).code, 'UPSTREAM_UNAVAILABLE', mode);
    }
    // The source's own mapping, without the reuse route's (which also turns any 5xx into UPSTREAM_UNAVAILABLE).
    const source = new HttpMaterialSource({ custodians: { PortalMSP: relayUrl } });
    t.teardown(() => source.close());
    const grantee = ts.system.principals.principals.find((p) => p.name === 'verifier')!;
    const ask = (custodianMsp: string) => source.open({ materialId: material.materialId, receiptId: 'no-such-receipt', custodianMsp, grantee });
    for (const mode of ['reset', 'fail-500'] as const) {
      relay.mode = mode;
      await t.rejects(ask('PortalMSP'), { code: 'UPSTREAM_UNAVAILABLE' }, `${mode}, from the source`);
    }
    relay.mode = 'pass';
    await t.rejects(ask('PortalMSP'), { code: 'NOT_FOUND', status: 404 }, "a 4xx keeps the custodian's code");
    await t.rejects(ask('AgencyAMSP'), { code: 'UPSTREAM_UNAVAILABLE' }, 'no URL and no fallback');
  });

  t.test("a refused signature is the custodian link failing (502), its code in the detail: a query changed in transit breaks the signature", async (t) => {
    relay.mode = 'other-query';
    t.teardown(() => void (relay.mode = 'pass'));
    const res = await reuse(material.materialId, grantId);
    const body = (await res.json()) as { code: string; detail: string };
    t.equal(res.status, 502, 'not 401: the caller\'s own token was good');
    t.equal(body.code, 'UPSTREAM_UNAVAILABLE');
    t.match(body.detail, /PortalMSP/);
    t.match(body.detail, /SIGNATURE_INVALID/);
    t.equal(await delivered(res.headers.get('x-receipt-id') as string), false, 'nothing was delivered');
  });

  t.test('https, trusting the configured CA only', async (t) => {
    const tlsCa = await CertificateAuthority.create({ mspId: 'PortalMSP', organisation: '上海市一网通办平台', commonName: 'tlsca.relay' });
    const serverTls = await tlsCa.issueTls({ commonName: 'gateway.portal', hosts: ['127.0.0.1'], usage: 'server' });
    const tlsRelay = new Relay({ key: serverTls.privateKey, cert: serverTls.certificate });
    tlsRelay.target = ts.gatewayUrl;
    const httpsUrl = await tlsRelay.listen();
    t.teardown(() => tlsRelay.close());
    const verifierWith = async (source: HttpMaterialSource, name: string): Promise<string> => {
      const app = await createVerifierApp({ ...ts.system.verifier.verifier.options, materialSource: source, dataDir: join(ts.dataDir, name) });
      t.teardown(async () => {
        await app.close();
        source.close();
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    };

    const trusting = await verifierWith(new HttpMaterialSource({ custodians: { PortalMSP: httpsUrl }, ca: tlsCa.certificate }), 'verifier-https');
    const ok = await reuse(material.materialId, grantId, trusting);
    t.equal(ok.status, 200);
    t.ok(Buffer.from(await ok.arrayBuffer()).equals(bytes), 'the exact bytes over https');
    t.equal(tlsRelay.seen.length, 1);

    const defaultCas = await verifierWith(new HttpMaterialSource({ custodians: { PortalMSP: httpsUrl } }), 'verifier-https-default');
    const refused = await reuse(material.materialId, grantId, defaultCas);
    t.equal(refused.status, 502, 'a certificate of a CA that is not configured');
    t.equal(((await refused.json()) as { code: string }).code, 'UPSTREAM_UNAVAILABLE');
    t.equal(tlsRelay.seen.length, 1, 'no request reached it');
  });
});
