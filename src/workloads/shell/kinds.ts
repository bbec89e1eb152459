import type { Shell } from './shell';

// What a command name is to the shell: a function, a builtin (special or
// regular), an applet ash runs as a builtin, or a command to find in PATH.

export type BuiltinKind = 'special' | 'regular' | 'applet';

const SPECIAL = new Set(['.', ':', 'break', 'continue', 'eval', 'exec', 'exit', 'export', 'local', 'readonly', 'return', 'set', 'shift', 'source', 'times', 'trap', 'unset']);
const REGULAR = new Set(['true', 'false', 'alias', 'unalias', 'bg', 'cd', 'chdir', 'command', 'fg', 'getopts', 'hash', 'jobs', 'let', 'pwd', 'read', 'type', 'ulimit', 'umask', 'wait']);
// Applets ash has as builtins: the applet serves both.
const APPLETS = new Set(['echo', 'printf', 'test', '[', '[[', 'kill']);
export const KEYWORD_NAMES = new Set(['!', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'then', 'until', 'while', '{', '}']);
// Builtins whose NAME=value arguments are expanded as assignments.
export const ASSIGN_BUILTINS = new Set(['export', 'readonly', 'local', 'alias']);

// ash looks functions up first, even over special builtins (`:(){ ...; }`).
export function builtinKind(name: string, sh: Shell, noFunctions = false): BuiltinKind | 'function' | 'external' {
  if (!noFunctions && sh.funcs.has(name)) return 'function';
  if (SPECIAL.has(name)) return 'special';
  if (APPLETS.has(name)) return 'applet';
  if (REGULAR.has(name)) return 'regular';
  return 'external';
}
