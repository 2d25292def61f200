import t from 'tap';
import {
  HOLDER_CODE_TYPES,
  checkHolderCode,
  citizenIdCheckCharacter,
  isUsccShape,
  usccCheckCharacter,
} from '../../domain/holder-code';
import vectors from './vectors/holder-code.json';
import { throwsCoded } from './assert-coded';

t.test('code types include those of standards.md §2', async (t) => {
  const listed = ['001', '099', '111', '114', '115', '118', '119', '120', '122', '411', '412', '413', '414', '511', '516', '999'];
  for (const type of listed) t.type(HOLDER_CODE_TYPES[type], 'string', type);
  t.equal(HOLDER_CODE_TYPES['111'], '公民身份号码');
  t.ok(Object.isFrozen(HOLDER_CODE_TYPES));
});

t.test('USCC check characters: recorded truth', async (t) => {
  for (const v of vectors.uscc) {
    t.ok(isUsccShape(v.code), `${v.code} has the USCC shape`);
    const check = usccCheckCharacter(v.code.slice(0, 17));
    t.equal(check === v.code.slice(17), v.checkPasses, `${v.code} check passes: ${v.checkPasses}`);
    if (v.expected !== undefined) t.equal(check, v.expected);
    const result = checkHolderCode('001', v.code);
    t.equal(result.code, v.code);
    t.equal(result.warnings.length, v.checkPasses ? 0 : 1, `${v.code} warnings`);
  }
});

t.test('citizen identity numbers', async (t) => {
  for (const v of vectors.citizenId) {
    t.equal(citizenIdCheckCharacter(v.code.slice(0, 17)), v.code.slice(17), v.code);
    t.same(checkHolderCode('111', v.code), { codeType: '111', code: v.code, warnings: [] });
  }
  throwsCoded(t, () => citizenIdCheckCharacter('1101051949123100X'), 'INVALID_HOLDER_CODE', '17 digits');
  throwsCoded(t, () => usccCheckCharacter('9135010OM000100Y4'), 'INVALID_HOLDER_CODE', '17 symbols');
});

t.test('valid codes are normalised', async (t) => {
  for (const v of vectors.valid) {
    const result = checkHolderCode(v.codeType, v.code);
    t.equal(result.codeType, v.codeType);
    t.equal(result.code, v.normalised, JSON.stringify(v.code));
    t.equal(result.warnings.length, v.warnings, `${JSON.stringify(v.code)} warnings`);
  }
});

t.test('invalid codes are refused', async (t) => {
  for (const v of vectors.invalid) {
    throwsCoded(t, () => checkHolderCode(v.codeType, v.code), 'INVALID_HOLDER_CODE', v.reason, `${v.codeType} ${JSON.stringify(v.code)}`);
  }
  throwsCoded(t, () => checkHolderCode('111', 11010519491231002 as unknown as string), 'INVALID_HOLDER_CODE', 'string');
});

t.test('isUsccShape', async (t) => {
  t.notOk(isUsccShape('91350100m000100Y43'), 'lower case is not the shape (callers normalise first)');
  t.notOk(isUsccShape('91350100S000100Y43'));
  t.notOk(isUsccShape(''));
  t.notOk(isUsccShape(null as unknown as string));
});
