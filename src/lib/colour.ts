/** sRGB colour arithmetic for the hosted pages' branding: WCAG 2.x relative luminance and contrast ratios. */

/** `#rgb` or `#rrggbb`, any case. */
export const hexColourPattern = '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$';

type Rgb = readonly [number, number, number];

const parse = (hex: string): Rgb => {
  const digits = hex.slice(1);
  const full = digits.length === 3 ? [...digits].map((d) => d + d).join('') : digits;
  return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as unknown as Rgb;
};

const format = (rgb: Rgb): string => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** WCAG 2.2 relative luminance of an sRGB colour. */
const luminance = (rgb: Rgb): number => {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as unknown as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

/** WCAG 2.2 contrast ratio of two `#rrggbb` colours, from 1 to 21. */
export const contrastRatio = (a: string, b: string): number => {
  const [la, lb] = [luminance(parse(a)), luminance(parse(b))];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
};

/** The minimum contrast of normal text (WCAG 2.2 SC 1.4.3, level AA). */
export const minimumTextContrast = 4.5;

/** Black or white text, whichever reads better on `background` (one of them always reaches 4.5:1). */
export const readableTextOn = (background: string): string =>
  contrastRatio(background, '#ffffff') >= contrastRatio(background, '#000000') ? '#ffffff' : '#000000';

/**
 * `colour` itself when it reads as text on `background` (≥ 4.5:1); otherwise the same hue darkened step by step until it
 * does (a brand yellow becomes a readable ochre for links on white).
 */
export const readableOn = (colour: string, background: string): string => {
  let rgb = parse(colour);
  for (let step = 0; step < 40 && contrastRatio(format(rgb), background) < minimumTextContrast; step++)
    rgb = rgb.map((c) => c * 0.9) as unknown as Rgb;
  return format(rgb);
};

/** `#rgb` or `#rrggbb` as lower-case `#rrggbb`. */
export const normaliseHex = (hex: string): string => format(parse(hex));
