import { readdirSync, readFileSync } from 'node:fs';

/**
 * The message catalogues of every page and mail a person reads: one flat JSON file per locale in `locales/`
 * (`en.json`, `de.json`, …), keys `area.name`, values with `{name}` placeholders. A locale is added by dropping in one
 * file; English is the fallback for a key a catalogue lacks.
 */
export type Catalogue = Readonly<Record<string, string>>;

const fallbackLocale = 'en';
const directory = new URL('../../locales/', import.meta.url);

const loadCatalogues = (): ReadonlyMap<string, Catalogue> => {
  const catalogues = new Map<string, Catalogue>();
  for (const file of readdirSync(directory).sort()) {
    const match = /^([a-z]{2,3}(?:-[A-Z]{2})?)\.json$/.exec(file);
    if (match === null) continue;
    catalogues.set(match[1] as string, JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as Catalogue);
  }
  if (!catalogues.has(fallbackLocale)) throw new Error(`locales/${fallbackLocale}.json is missing`);
  return catalogues;
};

let loaded: ReadonlyMap<string, Catalogue> | undefined;
/** Every catalogue, read once. */
export const catalogues = (): ReadonlyMap<string, Catalogue> => {
  loaded ??= loadCatalogues();
  return loaded;
};

export type MessageVars = Readonly<Record<string, string | number>>;

/** The messages of one locale: `t(key, vars)` looks a key up (English when this locale lacks it) and fills it in. */
export interface Messages {
  /** The BCP 47 tag of the chosen catalogue (for `<html lang>` and `Content-Language`). */
  readonly locale: string;
  readonly t: (key: string, vars?: MessageVars) => string;
}

const fill = (template: string, vars: MessageVars | undefined): string =>
  vars === undefined ? template : template.replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole));

/** The messages of `locale` (an available one; else English). */
export const messagesIn = (locale: string): Messages => {
  const all = catalogues();
  const chosen = all.has(locale) ? locale : fallbackLocale;
  const own = all.get(chosen) as Catalogue;
  const fallback = all.get(fallbackLocale) as Catalogue;
  return {
    locale: chosen,
    t: (key, vars) => {
      const template = own[key] ?? fallback[key];
      if (template === undefined)
        throw new Error(`message ${JSON.stringify(key)} is not in locales/${fallbackLocale}.json`);
      return fill(template, vars);
    },
  };
};

/** The first available locale of a list of tags (`de-CH` matches `de`), or undefined. */
const firstAvailable = (tags: readonly string[]): string | undefined => {
  const all = catalogues();
  for (const tag of tags) {
    if (all.has(tag)) return tag;
    const language = tag.split('-')[0]?.toLowerCase();
    if (language !== undefined && all.has(language)) return language;
  }
  return undefined;
};

/** `Accept-Language` tags by descending quality (RFC 9110 §12.5.4), `*` and q=0 left out. */
const acceptedLanguages = (header: string | undefined): string[] =>
  (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);

export interface LocaleChoice {
  /** The request's `Accept-Language` header. */
  readonly acceptLanguage?: string | undefined;
  /** OIDC `ui_locales` of the authorization request: space-separated tags, in order of preference. */
  readonly uiLocales?: string | undefined;
  /** The tenant's default locale. */
  readonly tenantDefault?: string | undefined;
}

/** The messages for this request: `ui_locales`, then `Accept-Language`, then the tenant's default, then English. */
export const messagesFor = (choice: LocaleChoice): Messages => {
  const fromUi = firstAvailable((choice.uiLocales ?? '').split(' ').filter((tag) => tag !== ''));
  const fromHeader = fromUi ?? firstAvailable(acceptedLanguages(choice.acceptLanguage));
  const chosen = fromHeader ?? firstAvailable(choice.tenantDefault === undefined ? [] : [choice.tenantDefault]);
  return messagesIn(chosen ?? fallbackLocale);
};
