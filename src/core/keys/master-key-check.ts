import { constantTimeEqual, type SecretBox } from '../../lib/crypto.js';
import type { Db } from '../../store/database.js';
import { keyCheckRepo } from '../../store/repositories/key-check.js';
import { ConfigError } from '../errors.js';

const wrongKey = () =>
  new ConfigError(
    'GATEHOUSE_MASTER_KEY (masterKey): is not the key this store is sealed with; start every instance with the same master key',
  );

/**
 * Makes sure this process holds the master key the store is sealed with, before anything is sealed or opened: an
 * instance with another key would answer 500 on every token and, the first to sign for a new tenant, seal that
 * tenant's keys so that the healthy instances could not open them. The store keeps a check value (see
 * `SecretBox.keyCheck`); the first process to start writes it. A store from before the check adopts the key of the
 * first process that starts, and only when that key opens the secrets already sealed in it.
 * @returns `adopted` when this process wrote the check value, else `matched`.
 * @throws ConfigError when the key is not the store's.
 */
export const checkMasterKey = async (db: Db, secretBox: SecretBox): Promise<'matched' | 'adopted'> => {
  const mine = secretBox.keyCheck();
  const stored = await keyCheckRepo.find(db);
  if (stored !== undefined) {
    if (!constantTimeEqual(stored, mine)) throw wrongKey();
    return 'matched';
  }
  for (const sealed of await keyCheckRepo.sampleSealed(db)) {
    try {
      secretBox.open(sealed);
    } catch {
      throw wrongKey();
    }
  }
  await keyCheckRepo.insertIfAbsent(db, mine);
  // Another process may have written its own value first: the one stored is the one that counts.
  if (!constantTimeEqual((await keyCheckRepo.find(db)) ?? '', mine)) throw wrongKey();
  return 'adopted';
};
