import type { z } from 'zod';
import type { OptionSpec } from './option-spec.js';

/**
 * What every pluggable part of the configuration declares about itself: a DNS provider today, deploy
 * targets and notify channels later. The loader validates an entry against `options`, fills
 * `credentials` from the environment, and the JSON Schema and the reference pages are generated from
 * the same object, so the docs cannot describe an option the code does not accept.
 */
export interface ComponentDescriptor<Options extends z.ZodType | OptionSpec = z.ZodType | OptionSpec> {
  /** The `type:` value in config. */
  type: string;
  title: string;
  /** The vendor's or the standard's reference for what this component talks to. */
  docs: string;
  credentials: CredentialField[];
  /**
   * The options (everything besides `type`), credentials included: plain data (option-spec.ts, the DNS
   * providers) or a zod schema (cloud targets).
   */
  options: Options;
  /** One or two sentences (Markdown): what it is and when to pick it. Opens its reference page. */
  summary?: string;
  /** The least-privilege permissions its credentials need, with a policy to attach. */
  access?: AccessPolicy;
  /** Further reading beside `docs`. */
  links?: Link[];
  /** Setup steps and behaviour worth knowing, each a section of the reference page. */
  guide?: GuideSection[];
}

export interface CredentialField {
  /** Key in the component's config block, e.g. `accessKeyId`. */
  key: string;
  /** Standard environment variables, first match wins; `<VAR>_FILE` is read as a file path. */
  env: string[];
  description: string;
  required: boolean;
  secret: boolean;
}

export interface AccessPolicy {
  /** Markdown before the policy: which kind of identity to create and where. */
  intro: string;
  /** What to paste, granting only what the component calls: a JSON document, or text in the server's syntax. */
  policy?: object | string;
  /** Markdown after the policy: what each permission is for, broader preset policies. */
  notes?: string;
}

export interface Link {
  title: string;
  url: string;
}

export interface GuideSection {
  /** May carry Chinese in parentheses, e.g. "Setup (设置)". */
  heading: string;
  markdown: string;
}
