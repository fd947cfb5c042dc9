/** What a person recognises a session by: the browser and the system it runs on. */
export interface DeviceDescription {
  /** `Firefox`, `Chrome`, `Safari`, `Edge`, `Opera`, `Samsung Internet`, or undefined when unknown. */
  readonly browser?: string;
  /** `Windows`, `macOS`, `iOS`, `iPadOS`, `Android`, `Linux`, `ChromeOS`, or undefined when unknown. */
  readonly os?: string;
  /** A phone or tablet. */
  readonly mobile: boolean;
}

/** Browsers in the order they must be tested: each later one's token also appears in the earlier ones' strings. */
const browsers: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Chrome'],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const systems: readonly (readonly [RegExp, string])[] = [
  [/\biPad\b/, 'iPadOS'],
  [/\biPhone\b|\biPod\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/**
 * A small `User-Agent` reading, enough to tell a person's sessions apart ("Firefox on Windows"); no version numbers,
 * and no claim to identify every client. A string it does not know gives neither a browser nor a system.
 */
export const describeUserAgent = (userAgent: string | null | undefined): DeviceDescription => {
  if (userAgent === null || userAgent === undefined || userAgent === '') return { mobile: false };
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const os = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  const mobile = /\bMobile\b|\biPhone\b|\biPad\b|\bAndroid\b/.test(userAgent);
  return { ...(browser === undefined ? {} : { browser }), ...(os === undefined ? {} : { os }), mobile };
};
