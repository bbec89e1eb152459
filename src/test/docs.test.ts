import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/program';
import { configSchema, parseConfig } from '../config/config';
import { ruleSchema } from '../faults/rules';
import { behaviourSchema } from '../workloads/behaviour';

// The README documents every flag and config key fakecri accepts, and only
// those: its examples are parsed here with the real parsers.
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

// The first fenced block (of `lang`, or untagged) after a heading.
function block(heading: string, lang = ''): string {
  const at = README.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading "${heading}"`);
  const m = new RegExp('\\n```' + lang + '\\n([\\s\\S]*?)\\n```', 'm').exec(README.slice(at));
  if (!m) throw new Error(`README has no \`\`\`${lang} block after "${heading}"`);
  return m[1];
}

// Key paths a zod schema accepts ("images.catalog[].size"); records hold the
// user's own keys and unions are alternatives: neither is walked into.
function schemaKeys(schema: unknown, path = '', out: string[] = []): string[] {
  let s = schema as { _zod: { def: Record<string, any> } };
  for (;;) {
    const d = s._zod.def;
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else if (d.type === 'array') {
      s = d.element;
      path = `${path}[]`;
    } else if (d.type === 'object') {
      for (const [k, v] of Object.entries(d.shape)) {
        const p = path ? `${path}.${k}` : k;
        out.push(p);
        schemaKeys(v, p, out);
      }
      return out;
    } else return out;
  }
}

// Key paths present in a parsed example, in the same notation.
function exampleKeys(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) exampleKeys(v, `${path}[]`, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      out.add(p);
      exampleKeys(v, p, out);
    }
  }
  return out;
}

function flags(cmd: Command, out = new Set<string>()): Set<string> {
  for (const o of cmd.options) if (o.long) out.add(o.long);
  for (const c of cmd.commands) flags(c, out);
  return out;
}

function commandPaths(cmd: Command, prefix: string[] = [], out: string[] = []): string[] {
  for (const c of cmd.commands) {
    out.push([...prefix, c.name()].join(' '));
    commandPaths(c, [...prefix, c.name()], out);
  }
  return out;
}

describe('the README', () => {
  it('shows every flag of every command in its usage block, and no flag that does not exist', () => {
    const usage = block('## Running it');
    const documented = new Set(usage.match(/--[a-z][a-z-]*/g));
    documented.delete('--help'); // commander's own, on every command
    expect([...documented].sort()).toEqual([...flags(buildProgram())].sort());
  });

  it('names every command in its usage block', () => {
    const usage = block('## Running it');
    for (const path of commandPaths(buildProgram())) {
      const last = path.split(' ').at(-1)!;
      expect(usage, `command "${path}"`).toMatch(new RegExp(`(^|[\\s|])${last}(\\s|$)`, 'm'));
    }
  });

  it('has a config example that fakecri accepts, with every config key', () => {
    const example = parseToml(block('## Configuration', 'toml'));
    expect(() => parseConfig(example, 'README')).not.toThrow();
    const present = exampleKeys(example);
    // Fault rules and behaviours have examples of their own, checked below;
    // containerfs takes the keys imagefs has.
    const missing = schemaKeys(configSchema).filter(
      (k) => !present.has(k) && !k.startsWith('faults[].') && !k.includes('.behaviour.') && !present.has(k.replace('filesystems.containerfs.', 'filesystems.imagefs.')),
    );
    expect(missing).toEqual([]);
  });

  it('has a fault rule example with every field, that parses', () => {
    const example = JSON.parse(block('### Fault rules', 'json'));
    expect(ruleSchema.safeParse(example).success).toBe(true);
    const present = exampleKeys(example);
    expect(schemaKeys(ruleSchema).filter((k) => !present.has(k))).toEqual([]);
  });

  it('has a behaviour example with every field, that parses', () => {
    const example = JSON.parse(block('### Container behaviour', 'json'));
    expect(behaviourSchema.safeParse(example).success).toBe(true);
    const present = exampleKeys(example);
    expect(schemaKeys(behaviourSchema).filter((k) => !present.has(k))).toEqual([]);
  });
});
