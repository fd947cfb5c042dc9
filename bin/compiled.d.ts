/** The compiled CLI's entry point (dist/cli/main.js), as a URL to import. */
export declare const compiledEntry: string;
/** True when dist/ holds a build of the sources as they are now. */
export declare const compiledIsCurrent: () => boolean;
