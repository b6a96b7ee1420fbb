import { dirname, isAbsolute, resolve } from 'node:path/posix';

/**
 * Reads the effective Nginx configuration as `nginx -T` prints it: every file nginx opened, each
 * after a `# configuration file PATH:` line, with `include` directives left in place. The files are
 * stitched back together at their includes and the `server` blocks of `http` and `stream` come out
 * with what a TLS probe needs: listen addresses, names and certificate paths. Pure: no file access.
 */

export interface NginxListen {
  /** As written, e.g. "[::]:443". */
  address: string;
  /** Host part; undefined for "443", "*:443", "0.0.0.0:443" and "[::]:443" (every address). */
  host?: string;
  /** For wildcards: the address family the listen covers. */
  family: 4 | 6;
  port: number;
  /** Accepts TLS: `ssl` here, or on another listen of the same address and port (nginx merges them). */
  ssl: boolean;
  defaultServer: boolean;
  /** Cannot be probed with a plain TLS handshake: a unix socket, QUIC (UDP), or PROXY protocol. */
  unprobeable?: string;
}

export interface NginxServerBlock {
  /** Where the block starts, "FILE:LINE". */
  at: string;
  context: 'http' | 'stream';
  listens: NginxListen[];
  serverNames: string[];
  /** ssl_certificate paths, absolute (relative ones resolved against the main file's directory); inherited ones included. */
  certificates: string[];
  /** The certificates come from the enclosing http or stream block. */
  inherited: boolean;
}

interface Token {
  value: string;
  /** ";", "{" or "}" outside quotes; undefined for words. */
  special?: string;
  line: number;
}

interface Directive {
  name: string;
  args: string[];
  at: string;
  block?: Directive[];
}

const MARKER = /^# configuration file (.+):$/;

/** The files of a dump, in the order nginx opened them (the first is the main file). */
export function splitDump(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => current !== undefined && files.set(current, lines.join('\n'));
  for (const line of text.split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      flush();
      current = m[1]!;
      lines = [];
    } else lines.push(line);
  }
  flush();
  return files;
}

/** nginx's tokenizer: words, quoted strings with backslash escapes, `#` comments at a word start, `; { }`. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      out.push({ value: c, special: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      const start = line;
      let value = '';
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === '\\' && i + 1 < text.length) value += unescape(text[++i]!);
        else value += text[i];
        if (text[i] === '\n') line++;
      }
      i++;
      out.push({ value, line: start });
    } else {
      let value = '';
      while (i < text.length && !/[\s;{}]/.test(text[i]!)) {
        // A backslash takes the next character out of the syntax (\; is part of the word).
        if (text[i] === '\\' && i + 1 < text.length) value += unescape(text[++i]!);
        else value += text[i];
        i++;
      }
      out.push({ value, line });
    }
  }
  return out;
}

/** What nginx makes of a backslash and the character after it: \" \' \\ \t \r \n, else both kept (regexes). */
function unescape(c: string): string {
  return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : '"\'\\'.includes(c) ? c : `\\${c}`;
}

/** Directives of one file, blocks nested; includes expanded from the other files of the dump. */
function parseFile(path: string, files: Map<string, string>, prefix: string, depth = 0): Directive[] {
  const tokens = tokenize(files.get(path) ?? '');
  let i = 0;
  const block = (): Directive[] => {
    const list: Directive[] = [];
    let words: Token[] = [];
    for (; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.special === '}') return list;
      if (!t.special) {
        words.push(t);
        continue;
      }
      const [head, ...rest] = words;
      words = [];
      if (!head) continue;
      const d: Directive = { name: head.value, args: rest.map((w) => w.value), at: `${path}:${head.line}` };
      if (t.special === '{') {
        i++;
        d.block = block();
      }
      if (d.name === 'include' && !d.block && d.args[0] !== undefined && depth < 16) {
        for (const inc of matchInclude(d.args[0], files, prefix)) list.push(...parseFile(inc, files, prefix, depth + 1));
      } else list.push(d);
    }
    return list;
  };
  return block();
}

/** The dumped files an `include` pattern names, in glob order (sorted), relative to the main file's directory. */
function matchInclude(pattern: string, files: Map<string, string>, prefix: string): string[] {
  const full = isAbsolute(pattern) ? pattern : resolve(prefix, pattern);
  if (!/[*?[]/.test(full)) return files.has(full) ? [full] : [];
  const re = new RegExp(`^${full.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return [...files.keys()].filter((f) => re.test(f)).sort();
}

/** Every `server` block of `http` and `stream`, from the text `nginx -T` printed. */
export function parseNginxDump(text: string): NginxServerBlock[] {
  const files = splitDump(text);
  const main = files.keys().next().value;
  if (main === undefined) return [];
  const prefix = dirname(main);
  const out: NginxServerBlock[] = [];
  for (const top of parseFile(main, files, prefix)) {
    if ((top.name !== 'http' && top.name !== 'stream') || !top.block) continue;
    const context: NginxServerBlock['context'] = top.name;
    const inherited = certificatesOf(top.block, prefix);
    const sslOn = flagOn(top.block, 'ssl');
    const servers = top.block.filter((d) => d.name === 'server' && d.block);
    const blocks = servers.map((s): NginxServerBlock => {
      const own = certificatesOf(s.block!, prefix);
      const ssl = sslOn || flagOn(s.block!, 'ssl');
      const listens = s.block!.filter((d) => d.name === 'listen').map((d) => parseListen(d.args, ssl));
      // A server without listen takes *:80 (nginx's default), which is not TLS.
      return { at: s.at, context, listens, serverNames: s.block!.filter((d) => d.name === 'server_name').flatMap((d) => d.args), certificates: own.length ? own : inherited, inherited: !own.length };
    });
    // The ssl parameter belongs to the address and port, whichever server block wrote it.
    const tls = new Set(blocks.flatMap((b) => b.listens.filter((l) => l.ssl).map(listenKey)));
    for (const b of blocks) for (const l of b.listens) l.ssl ||= tls.has(listenKey(l));
    out.push(...blocks);
  }
  return out;
}

function certificatesOf(block: Directive[], prefix: string): string[] {
  return block.filter((d) => d.name === 'ssl_certificate' && d.args[0] !== undefined).map((d) => (isAbsolute(d.args[0]!) || d.args[0]!.includes('$') ? d.args[0]! : resolve(prefix, d.args[0]!)));
}

/** `ssl on;`: the pre-1.25 way of making every listen of a server TLS. */
function flagOn(block: Directive[], name: string): boolean {
  return block.some((d) => d.name === name && d.args[0] === 'on');
}

const listenKey = (l: NginxListen) => `${l.host ?? `*${l.family}`}:${l.port}`;

/** `listen ADDRESS [params]`: 443, *:443, 127.0.0.1:8443, [::]:443, [::1], localhost:443, unix:/path. */
export function parseListen(args: string[], sslOn = false): NginxListen {
  const [address = '80', ...params] = args;
  const has = (p: string) => params.includes(p);
  let host: string | undefined;
  let port = 80;
  let family: 4 | 6 = 4;
  let m: RegExpExecArray | null;
  if (address.startsWith('unix:')) {
    host = address;
  } else if ((m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address))) {
    family = 6;
    host = m[1] === '::' ? undefined : m[1];
    port = m[2] ? Number(m[2]) : 80;
  } else if (/^\d+$/.test(address)) {
    port = Number(address);
  } else if ((m = /^(.+):(\d+)$/.exec(address))) {
    host = m[1] === '*' || m[1] === '0.0.0.0' ? undefined : m[1];
    port = Number(m[2]);
  } else {
    host = address === '*' ? undefined : address;
  }
  const unprobeable = address.startsWith('unix:') ? 'a unix socket' : has('quic') ? 'QUIC (UDP)' : has('proxy_protocol') ? 'expects a PROXY protocol header' : undefined;
  return { address, host, family, port, ssl: sslOn || has('ssl'), defaultServer: has('default_server') || has('default'), ...(unprobeable ? { unprobeable } : {}) };
}
