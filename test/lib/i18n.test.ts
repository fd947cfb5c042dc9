import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogues, messagesFor, messagesIn } from '../../src/lib/i18n.js';

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

describe('message catalogues', () => {
  it('every locale has exactly the keys of the English catalogue, with the same placeholders', () => {
    const english = catalogues().get('en') ?? {};
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(catalogues().size).toBeGreaterThanOrEqual(2);
    for (const [locale, catalogue] of catalogues()) {
      expect(Object.keys(catalogue).sort(), locale).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(catalogue))
        expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(english[key] ?? ''));
    }
  });

  it('every key the code asks for is in the English catalogue', () => {
    const english = catalogues().get('en') ?? {};
    const used = sourceFiles('src').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-z0-9_]+\.[a-z0-9_.]+)'/g)].map((m) => [file, m[1]]),
    );
    const missing = used.filter(([, key]) => english[key as string] === undefined);
    expect(missing).toEqual([]);
  });

  it('fills placeholders and falls back to English for an unknown locale', () => {
    expect(messagesIn('de').t('common.back_to_app', { app: 'Shop' })).toBe('Zurück zu Shop');
    const unknown = messagesIn('xx');
    expect(unknown.locale).toBe('en');
    expect(unknown.t('common.back_to_app', { app: 'Shop' })).toBe('Back to Shop');
    expect(() => unknown.t('no.such_key')).toThrow(/no\.such_key/);
  });

  it('chooses ui_locales, then Accept-Language by quality, then the tenant default, then English', () => {
    expect(
      messagesFor({ acceptLanguage: 'en;q=0.9, de;q=0.1', uiLocales: 'fr de-CH', tenantDefault: 'en' }).locale,
    ).toBe('de');
    expect(messagesFor({ acceptLanguage: 'fr, en;q=0.2, de-AT;q=0.8' }).locale).toBe('de');
    expect(messagesFor({ acceptLanguage: 'de;q=0, fr', tenantDefault: 'de' }).locale).toBe('de');
    expect(messagesFor({ acceptLanguage: 'de;q=0, en;q=0.5' }).locale).toBe('en');
    expect(messagesFor({ tenantDefault: 'fr' }).locale).toBe('en');
  });
});
