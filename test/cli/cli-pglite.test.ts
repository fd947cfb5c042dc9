import { cliSuite } from './cli-suite.js';

cliSuite('pglite');
