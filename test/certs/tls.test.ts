import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import type { Credentials } from '../../certs/credentials';
import { openssl, tempDir, writeFiles } from './support';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GETs / from 127.0.0.1:port with the given trust and client credentials. */
function get(port: number, opts: { ca: string; client?: Credentials; host?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path: '/',
        ca: opts.ca,
        cert: opts.client?.certificate,
        key: opts.client?.privateKey,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

t.test('TLS certificates work for a real mutual-TLS https server on 127.0.0.1', async (t) => {
  const tlsCa = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One', commonName: 'tlsca.org1' });
  const otherCa = await CertificateAuthority.create({ mspId: 'Org2MSP', organisation: 'Org Two', commonName: 'tlsca.org2' });
  const server = await tlsCa.issueTls({ commonName: 'peer0.org1', hosts: ['peer0.org1', 'localhost', '127.0.0.1'], usage: 'server' });
  const client = await tlsCa.issueTls({ commonName: 'alice', hosts: [], usage: 'client' });
  const foreignClient = await otherCa.issueTls({ commonName: 'mallory', hosts: [], usage: 'client' });

  const httpsServer = https.createServer(
    { key: server.privateKey, cert: server.certificate, ca: tlsCa.certificate, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`hello ${peer.subject?.CN ?? '?'}`);
    },
  );
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => httpsServer.close(() => resolve())));
  const { port } = httpsServer.address() as AddressInfo;

  t.same(await get(port, { ca: tlsCa.certificate, client }), { status: 200, body: 'hello alice' }, 'server verified by IP SAN, client authenticated');
  t.same(await get(port, { ca: tlsCa.certificate, client, host: 'localhost' }), { status: 200, body: 'hello alice' }, 'and by DNS SAN');
  await t.rejects(get(port, { ca: otherCa.certificate, client }), /self.signed|unable to verify|certificate/i, 'a client trusting another CA refuses the server');
  await t.rejects(get(port, { ca: tlsCa.certificate }), 'no client certificate: refused');
  await t.rejects(get(port, { ca: tlsCa.certificate, client: foreignClient }), 'a client certificate from another CA: refused');
});

t.test('openssl: purposes and SANs', async (t) => {
  const tlsCa = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One', commonName: 'tlsca.org1' });
  const server = await tlsCa.issueTls({ commonName: 'orderer0', hosts: ['orderer0', '::1'], usage: 'both' });
  const client = await tlsCa.issueTls({ commonName: 'bob', hosts: [], usage: 'client' });
  const dir = await tempDir(t);
  const f = await writeFiles(dir, { 'ca.pem': tlsCa.certificate, 'server.pem': server.certificate, 'client.pem': client.certificate });
  const ca = f['ca.pem'] as string;
  t.equal((await openssl(['verify', '-purpose', 'sslserver', '-CAfile', ca, f['server.pem'] as string])).code, 0);
  t.equal((await openssl(['verify', '-purpose', 'sslclient', '-CAfile', ca, f['server.pem'] as string])).code, 0);
  t.equal((await openssl(['verify', '-purpose', 'sslclient', '-CAfile', ca, f['client.pem'] as string])).code, 0);
  t.not((await openssl(['verify', '-purpose', 'sslserver', '-CAfile', ca, f['client.pem'] as string])).code, 0, 'a client-only certificate is no server certificate');
  const text = (await openssl(['x509', '-in', f['server.pem'] as string, '-noout', '-text'])).output;
  t.match(text, /Subject Alternative Name:\s*\n\s*DNS:orderer0, IP Address:0:0:0:0:0:0:0:1/);
  t.match(text, /Extended Key Usage:\s*\n\s*TLS Web Server Authentication, TLS Web Client Authentication/);
});
