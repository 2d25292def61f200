/**
 * Ledger routes (api.md, Gateway "Ledger"): height and current hash, blocks, transactions — for
 * the data authority and oversight. These read the ledger itself, not the chaincode, so no
 * chaincode rule guards them: the role is checked here, from the authenticated principal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withLedgerDeadline } from '../../service/ledger-calls';
import { ProblemError } from '../../service/problem';
import { requirePrincipal, type Principal } from '../../service/principal';

const READERS: readonly string[] = ['admin', 'auditor'];

/** Not a chaincode call: the gateway itself decides who may read blocks. */
function requireLedgerReader(request: FastifyRequest): Principal {
  const principal = requirePrincipal(request);
  if (!READERS.includes(principal.role)) throw new ProblemError('FORBIDDEN', `role ${principal.role} may not read the ledger's blocks`);
  return principal;
}

export async function ledgerRoutes(app: FastifyInstance): Promise<void> {
  const ledger = app.lc.options.ledger;

  app.get('/v1/ledger/info', { schema: { tags: ['ledger'], summary: 'Ledger height and current block hash (admin, auditor)' } }, async (request) => {
    requireLedgerReader(request);
    return withLedgerDeadline(ledger.info(), 'ledger info');
  });

  app.get(
    '/v1/ledger/blocks/:number',
    {
      schema: {
        tags: ['ledger'],
        summary: 'A block: header, transactions, validation codes (admin, auditor)',
        params: { type: 'object', required: ['number'], properties: { number: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } } },
      },
    },
    async (request) => {
      requireLedgerReader(request);
      const number = Number((request.params as { number: string }).number);
      const block = await withLedgerDeadline(ledger.getBlock(number), `block ${number}`);
      if (block === undefined) throw new ProblemError('NOT_FOUND', `block ${number} does not exist`);
      return block;
    },
  );

  app.get(
    '/v1/ledger/transactions/:txId',
    {
      schema: {
        tags: ['ledger'],
        summary: 'A transaction with its block number and validation code (admin, auditor)',
        params: { type: 'object', required: ['txId'], properties: { txId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } } },
      },
    },
    async (request) => {
      requireLedgerReader(request);
      const { txId } = request.params as { txId: string };
      const transaction = await withLedgerDeadline(ledger.getTransaction(txId), `transaction ${txId}`);
      if (transaction === undefined) throw new ProblemError('NOT_FOUND', `transaction ${txId} does not exist`);
      return transaction;
    },
  );
}
