import { inputJsonSchema } from '../config/json-schema.js';
import { zodIssues } from '../config/load.js';
import { zodOptions } from '../config/option-zod.js';
import { DIRECTORIES } from '../config/schema.js';
import type { ProviderDescriptor } from '../dns/provider.js';
import type { Messages } from '../i18n/index.js';
import { checkCa, checkCertName, checkDomains, checkEmail, checkEnvName, parseCommand, splitList } from './validate.js';
import { RELOAD_MODES, type DeployEntry } from './deploy-modes.js';
import type { Ask } from './source.js';

export interface OptionInfo {
  key: string;
  description: string;
  default?: unknown;
}

export interface InitAnswers {
  email?: string;
  ca: string;
  dataDir: string;
  dns: {
    name: string;
    descriptor: ProviderDescriptor;
    /** credential key → name of the environment variable that holds it */
    credentials: Record<string, string>;
    options: Record<string, unknown>;
    /** options left at their defaults, written commented out */
    optional: OptionInfo[];
  };
  certificate: { name: string; domains: string[]; files?: { cert: string; key: string } };
  deploy?: { name: string; mode: string; entry: DeployEntry };
}

type PropSchema = { type?: string | string[]; items?: { type?: string }; description?: string; default?: unknown };

/** A provider option typed in as text, converted by the option's JSON type. */
function parseOption(text: string, p: PropSchema): unknown {
  const type = Array.isArray(p.type) ? p.type[0] : p.type;
  if (type === 'array') return parseCommand(text);
  if (type === 'number' || type === 'integer') return Number(text);
  if (type === 'boolean') return /^(y|yes|true|1)$/i.test(text);
  return text;
}

/**
 * Asks the questions in order. Later questions depend on earlier answers (the provider decides
 * which credentials and options follow), so this is a sequence, not a form.
 */
export async function collectAnswers(ask: Ask, descriptors: ProviderDescriptor[], m: Messages): Promise<InitAnswers> {
  const email = await ask({ key: 'email', flag: '--email', prompt: m.init.email, optional: true, check: checkEmail });
  const ca = (await ask({
    key: 'ca',
    flag: '--ca',
    prompt: m.init.ca,
    def: 'letsencrypt',
    choices: Object.entries(DIRECTORIES).map(([value, url]) => ({ value, label: url })),
    check: checkCa,
  }))!;
  const type = (await ask({
    key: 'dns',
    flag: '--dns',
    prompt: m.init.provider,
    def: descriptors.length === 1 ? descriptors[0]!.type : undefined,
    choices: descriptors.map((d) => ({ value: d.type, label: d.title })),
  }))!;
  const descriptor = descriptors.find((d) => d.type === type) ?? descriptors[0]!;

  const credentials: Record<string, string> = {};
  for (const c of descriptor.credentials) {
    const v = await ask({
      key: `credential.${c.key}`,
      flag: `--credential ${c.key}=VAR`,
      prompt: m.init.credential(c.key, c.description),
      def: c.env[0],
      optional: !c.required,
      check: checkEnvName,
    });
    if (v) credentials[c.key] = v;
  }

  // The provider's own options come from its schema: required ones are asked, the rest are written
  // commented out with their defaults so the file shows what can be tuned.
  const json = inputJsonSchema(descriptor.options) as {
    properties?: Record<string, PropSchema>;
    required?: string[];
  };
  const credKeys = new Set(descriptor.credentials.flatMap((c) => [c.key, `${c.key}File`]));
  const options: Record<string, unknown> = {};
  const optional: OptionInfo[] = [];
  const placeholders = Object.fromEntries(descriptor.credentials.map((c) => [c.key, 'placeholder']));
  for (const [key, p] of Object.entries(json.properties ?? {})) {
    if (credKeys.has(key)) continue;
    if (!(json.required ?? []).includes(key)) {
      optional.push({ key, description: p.description ?? '', default: p.default });
      continue;
    }
    const v = await ask({
      key: `option.${key}`,
      flag: `--dns-option ${key}=VALUE`,
      prompt: m.init.option(key, p.description ?? ''),
      check: (text) => {
        const value = parseOption(text, p);
        if (value && typeof value === 'object' && 'error' in value) return (value as { error: string }).error;
        const r = zodOptions(descriptor.options).safeParse({ ...placeholders, ...options, [key]: value });
        if (r.success) return undefined;
        return zodIssues(r.error).find((i) => i.path === key || i.path.startsWith(`${key}[`))?.message;
      },
    });
    if (v !== undefined) options[key] = parseOption(v, p);
  }

  const domains = splitList(
    (await ask({ key: 'domains', flag: '--domain', prompt: m.init.domains, check: (v) => checkDomains(splitList(v)) })) ?? '',
  );
  const base = (domains.find((d) => !d.startsWith('*.')) ?? domains[0]?.slice(2) ?? 'site').toLowerCase();
  const name = (await ask({ key: 'name', flag: '--name', prompt: m.init.certName, def: base, check: checkCertName }))!;

  const deployWanted = (await ask({ key: 'deploy', flag: '--no-deploy', prompt: m.init.deploy, def: 'y', check: (v) => (/^(y|yes|n|no)$/i.test(v) ? undefined : 'answer y or n') }))!;
  let files: InitAnswers['certificate']['files'];
  let deploy: InitAnswers['deploy'];
  if (/^y/i.test(deployWanted)) {
    const cert = (await ask({ key: 'certFile', flag: '--cert-file', prompt: m.init.certFile, def: `/etc/nginx/ssl/${name}.crt` }))!;
    const key = (await ask({ key: 'keyFile', flag: '--key-file', prompt: m.init.keyFile, def: `/etc/nginx/ssl/${name}.key` }))!;
    files = { cert, key };
    const mode = (await ask({
      key: 'reload',
      flag: '--reload',
      prompt: m.init.reload,
      def: RELOAD_MODES[0]!.id,
      choices: RELOAD_MODES.map((r) => ({ value: r.id, label: r.title })),
    }))!;
    const entry = await RELOAD_MODES.find((r) => r.id === mode)!.collect(ask, m);
    deploy = { name: 'nginx', mode, entry };
  }
  const dataDir = (await ask({ key: 'dataDir', flag: '--data-dir', prompt: m.init.dataDir, def: './data' }))!;
  return {
    email: email || undefined,
    ca,
    dataDir,
    dns: { name: descriptor.type, descriptor, credentials, options, optional },
    certificate: { name, domains, files },
    deploy,
  };
}
