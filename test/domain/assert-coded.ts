/** Test helper: asserts that `fn` throws a CodedError with `code` whose message contains `fragment`. */
import type { Test } from 'tap';
import { CodedError, parseCodedMessage } from '../../domain/coded-error';

export function throwsCoded(t: Test, fn: () => unknown, code: string, fragment = '', name = `throws ${code}`): void {
  try {
    fn();
  } catch (error) {
    t.ok(error instanceof CodedError, `${name}: is a CodedError`);
    const parsed = parseCodedMessage(error instanceof Error ? error.message : String(error));
    t.equal(parsed?.code, code, `${name}: code`);
    t.ok(parsed?.detail.includes(fragment), `${name}: message "${parsed?.detail}" contains "${fragment}"`);
    return;
  }
  t.fail(`${name}: did not throw`);
}
