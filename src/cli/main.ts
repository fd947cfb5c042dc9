import { runCli } from './index.js';

const code = await runCli(process.argv);
if (code !== 0) process.exitCode = code;
