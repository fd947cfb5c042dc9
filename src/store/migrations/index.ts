import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-oauth.js';
import * as m0003 from './0003-login-flows.js';
import * as m0004 from './0004-key-check.js';
import * as m0005 from './0005-link-proofs.js';
import * as m0006 from './0006-admin-tokens.js';
import * as m0007 from './0007-login-binding.js';
import * as m0008 from './0008-consent.js';
import * as m0009 from './0009-flow-kinds-and-strategy-names.js';
import * as m0010 from './0010-link-flows.js';
import * as m0011 from './0011-self-service-flows.js';
import * as m0012 from './0012-account-care.js';
import * as m0013 from './0013-native-token-binding.js';
import * as m0014 from './0014-password-users-index.js';

/** Every migration, in order. A static map so compiled output contains them. Append; never edit a shipped one. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-oauth': m0002,
  '0003-login-flows': m0003,
  '0004-key-check': m0004,
  '0005-link-proofs': m0005,
  '0006-admin-tokens': m0006,
  '0007-login-binding': m0007,
  '0008-consent': m0008,
  '0009-flow-kinds-and-strategy-names': m0009,
  '0010-link-flows': m0010,
  '0011-self-service-flows': m0011,
  '0012-account-care': m0012,
  '0013-native-token-binding': m0013,
  '0014-password-users-index': m0014,
};
