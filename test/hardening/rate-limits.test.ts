/**
 * Requests per minute per caller (LC_RATE_LIMIT_PER_MINUTE, service/rate-limits.ts), on both
 * services over real HTTP: a principal is counted by name from whatever address it calls, anyone
 * else by address — bad tokens included —; over the limit the answer is `429 RATE_LIMITED`
 * problem+json with `Retry-After`; other callers and the operational routes are unaffected.
 */
import { request as httpRequest } from 'node:http';
import t, { type Test } from 'tap';
import { loadConfig } from '../../system/config';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../../service/rate-limits';
import { startTestSystem, type TestResponse } from '../support/system';

const LIMIT = 5;

/** A GET from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo). */
function getFrom(base: string, path: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function isRateLimited(t: Test, res: TestResponse, what: string): void {
  t.equal(res.status, 429, `${what}: 429`);
  t.equal(res.body?.code, 'RATE_LIMITED', `${what}: RATE_LIMITED`);
  t.match(res.headers.get('content-type'), /^application\/problem\+json/, `${what}: problem+json`);
  const retryAfter = Number(res.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `${what}: Retry-After ${retryAfter} s`);
}

t.test('configuration: LC_RATE_LIMIT_PER_MINUTE, high by default', async (t) => {
  t.equal(loadConfig({}).rateLimitPerMinute, DEFAULT_RATE_LIMIT_PER_MINUTE);
  t.ok(DEFAULT_RATE_LIMIT_PER_MINUTE >= 1_000_000, 'tests and benchmarks are not throttled');
  t.equal(loadConfig({ LC_RATE_LIMIT_PER_MINUTE: '120' }).rateLimitPerMinute, 120);
  t.throws(() => loadConfig({ LC_RATE_LIMIT_PER_MINUTE: '0' }), /LC_RATE_LIMIT_PER_MINUTE/);
  t.throws(() => loadConfig({ LC_RATE_LIMIT_PER_MINUTE: 'lots' }), /LC_RATE_LIMIT_PER_MINUTE/);
});

t.test(`${LIMIT} requests a minute per caller`, async (t) => {
  const ts = await startTestSystem({ config: { rateLimitPerMinute: LIMIT } });
  t.teardown(() => ts.close());

  t.test('a principal is counted by name, from any address', async (t) => {
    for (let i = 0; i < LIMIT - 1; i++) t.equal((await ts.request('GET', '/v1/orgs', { as: 'issuerA' })).status, 200);
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', '127.0.0.2', ts.auth('issuerA')), 200, 'the last one, from another address');
    isRateLimited(t, await ts.request('GET', '/v1/orgs', { as: 'issuerA' }), 'issuerA over the limit');
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', '127.0.0.3', ts.auth('issuerA')), 429, 'a new address does not reset it');
    isRateLimited(t, await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: {} }), 'writes too');
    t.equal((await ts.request('GET', '/v1/orgs', { as: 'portal' })).status, 200, 'another principal is not affected');
  });

  t.test('the other service counts on its own', async (t) => {
    const digest = { digest: `sm3:${'0'.repeat(64)}` };
    for (let i = 0; i < LIMIT; i++) t.equal((await ts.request('POST', '/v1/verify/material', { as: 'issuerA', base: ts.verifierUrl, body: digest })).status, 200);
    isRateLimited(t, await ts.request('POST', '/v1/verify/material', { as: 'issuerA', base: ts.verifierUrl, body: digest }), 'issuerA on the verifier');
  });

  t.test('without a valid token, by address — guessing tokens is throttled too', async (t) => {
    const from = '127.0.0.4';
    for (let i = 0; i < LIMIT - 1; i++) t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', from), 401, 'no token');
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', from, { authorization: 'Bearer lc_not-a-real-token-at-all' }), 401, 'a bad token counts against the address');
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', from, { authorization: 'Bearer lc_another-guess-at-a-token' }), 429, 'the next guess is throttled');
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', '127.0.0.5'), 401, 'another address is not');
    t.equal(await getFrom(ts.gatewayUrl, '/v1/orgs', from, ts.auth('auditor')), 200, 'a valid token from that address counts as its principal');
  });

  t.test('operational routes are never limited', async (t) => {
    for (let i = 0; i < LIMIT * 3; i++) {
      t.equal(await getFrom(ts.gatewayUrl, '/healthz', '127.0.0.4'), 200);
    }
    t.equal(await getFrom(ts.gatewayUrl, '/metrics', '127.0.0.4'), 200);
  });
});
