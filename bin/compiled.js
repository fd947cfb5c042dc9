// Whether dist/ (the output of `npm run build`) is a build of the sources as they are now. Used by bin/gatehouse.js to
// choose between the compiled CLI and the sources through tsx, and by the tests to build once before they run it.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The compiled CLI's entry point, as a URL to import. */
export const compiledEntry = pathToFileURL(`${root}dist/cli/main.js`).href;

/** The newest modification time of any file under `dir`, in milliseconds. */
const newestUnder = (dir) => {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const time = entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
};

/**
 * True when dist/ holds a build of the sources as they are: no file under src/ is newer than the compiled entry point
 * (tsc rewrites every output on each build). An edit, a checkout or a new file after the build makes it stale. Without
 * src/ (a package shipped compiled), dist/ is what there is.
 */
export const compiledIsCurrent = () => {
  let built;
  try {
    built = statSync(`${root}dist/cli/main.js`).mtimeMs;
  } catch {
    return false;
  }
  try {
    return newestUnder(`${root}src`) <= built;
  } catch (error) {
    // A package shipped without its sources runs what it has.
    if (error.code === 'ENOENT') return true;
    throw error;
  }
};
