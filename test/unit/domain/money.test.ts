import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../src/domain/money.js';
import { escapeHtml, html } from '../../../src/lib/html.js';

describe('formatMoney', () => {
  it.each([
    [1999, 'usd', '$19.99'],
    [500, 'jpy', '¥500'],
    [1234, 'eur', '€12.34'],
    [1000, 'krw', '₩1,000'],
    [1500, 'bhd', 'BHD 1.500'],
  ])('%i %s → %s', (minor, currency, expected) => {
    expect(formatMoney(minor, currency).replace(/\u00a0/g, ' ')).toBe(expected);
  });

  it('reuses a formatter per locale and currency without mixing them up; an unknown code falls back', () => {
    const nbsp = (s: string) => s.replace(/\u00a0/g, ' ');
    for (let i = 0; i < 3; i++) {
      expect(formatMoney(1999, 'usd')).toBe('$19.99');
      expect(nbsp(formatMoney(1999, 'USD', 'de-DE'))).toBe('19,99 $');
      expect(nbsp(formatMoney(500, 'jpy'))).toBe('¥500');
      expect(formatMoney(1999, 'zz!')).toBe('1999 ZZ!');
    }
    expect(formatMoney(null, 'usd')).toBe('');
  });
});

describe('html', () => {
  it('escapes every interpolated string', () => {
    const name = '<img src=x onerror=alert(1)>';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(`<p title="${escapeHtml(name)}">&lt;img src=x onerror=alert(1)&gt;</p>`);
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });
});
