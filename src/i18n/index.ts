import { en, zhCN, type Messages } from './catalog.js';

export type { Messages } from './catalog.js';
export type Lang = 'en' | 'zh-CN';
export const LANGS: Lang[] = ['en', 'zh-CN'];

/** Normalises what users write (`zh`, `zh_CN.UTF-8`, `zh-Hans`, `en_US`) to a supported language. */
export function normaliseLang(value: string | undefined): Lang | undefined {
  if (!value) return undefined;
  const v = value.toLowerCase();
  if (v === 'c' || v === 'posix' || v.startsWith('c.')) return 'en';
  if (v.startsWith('zh')) return 'zh-CN';
  if (v.startsWith('en')) return 'en';
  return undefined;
}

/**
 * `--lang` wins; then the locale variables in POSIX precedence (LC_ALL, LC_MESSAGES, LANG);
 * anything else is English.
 */
export function detectLang(flag: string | undefined, env: NodeJS.ProcessEnv): Lang {
  const explicit = normaliseLang(flag);
  if (explicit) return explicit;
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const v = env[name];
    if (v) return normaliseLang(v) ?? 'en';
  }
  return 'en';
}

export function messages(lang: Lang): Messages {
  return lang === 'zh-CN' ? zhCN : en;
}

/** `--lang X` / `--lang=X` from raw argv, for the error path that runs before or without commander. */
export function langFromArgv(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--lang') return argv[i + 1];
    if (a.startsWith('--lang=')) return a.slice(7);
  }
  return undefined;
}
