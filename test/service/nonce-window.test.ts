/** The replay memory of signed requests: replays refused, expiry frees, memory bounded. */
import t from 'tap';
import { NonceWindow } from '../../service/nonce-window';

t.test('a nonce is accepted once while it is live', async (t) => {
  let now = 1_000;
  const window = new NonceWindow({ now: () => now });
  t.equal(window.remember('a', 2_000), true);
  t.equal(window.remember('a', 2_000), false, 'replay');
  t.equal(window.remember('b', 2_000), true, 'another nonce');
  now = 2_000;
  t.equal(window.remember('a', 3_000), true, 'forgotten once expired');
});

t.test('memory is bounded: expired entries make room, live ones never do', async (t) => {
  let now = 0;
  const window = new NonceWindow({ capacity: 3, now: () => now });
  window.remember('a', 10);
  window.remember('b', 500); // a long-lived one ahead of short ones: swept only by a full pass
  window.remember('c', 10);
  t.throws(() => window.remember('d', 600), { code: 'OVERLOADED' }, 'full of live nonces: refused, nothing forgotten');
  t.equal(window.remember('a', 10), false, 'a is still remembered');
  now = 20;
  t.equal(window.remember('d', 600), true, 'the expired oldest (a) made room');
  t.equal(window.remember('e', 600), true, 'full again: a full pass finds c expired behind the live b');
  t.equal(window.size, 3);
  t.equal(window.remember('b', 500), false, 'b is still remembered');
});
