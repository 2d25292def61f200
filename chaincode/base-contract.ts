/**
 * What every LicenseChain contract shares: an unknown transaction is a coded refusal.
 */
import { Context, Contract } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';

export abstract class LicenseChainContract extends Contract {
  override async unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    throw new CodedError('NOT_FOUND', `no transaction ${fcn}`);
  }
}
