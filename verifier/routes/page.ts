/**
 * The public verification page (`GET /verify`): plain HTML, CSS and one small script from
 * `verifier/page/`, no build step. Files are read once at start-up; a strict Content-Security-Policy
 * allows only this origin's script, styles and API calls (no inline code), and the camera for QR
 * scanning where the browser has `BarcodeDetector`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The page folder, in the source tree (compiled code runs from `build/verifier/routes/`). */
function pageDir(): string {
  const candidates = [resolve(__dirname, '../page'), resolve(__dirname, '../../../verifier/page')];
  const found = candidates.find((dir) => existsSync(join(dir, 'verify.html')));
  if (!found) throw new Error(`verification page files not found in ${candidates.join(' or ')}`);
  return found;
}

/** `GET /verify` and its stylesheet and script (public). */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  const dir = pageDir();
  const files = {
    html: readFileSync(join(dir, 'verify.html')),
    css: readFileSync(join(dir, 'verify.css')),
    js: readFileSync(join(dir, 'verify.js')),
  };
  const send = (reply: FastifyReply, type: string, body: Buffer): FastifyReply =>
    reply
      .type(type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('permissions-policy', 'camera=(self)')
      .header('cache-control', 'no-cache')
      .send(body);
  const hidden = { schema: { hide: true } };

  app.get('/verify', hidden, async (_request, reply) => send(reply, 'text/html; charset=utf-8', files.html));
  app.get('/verify/verify.css', hidden, async (_request, reply) => send(reply, 'text/css; charset=utf-8', files.css));
  app.get('/verify/verify.js', hidden, async (_request, reply) => send(reply, 'text/javascript; charset=utf-8', files.js));
}
