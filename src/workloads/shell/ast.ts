// The parsed form of a shell script. Nodes are plain, immutable objects: one
// parse of a script text is shared by every shell that runs it (see
// cache.ts), so nothing here may be changed after parsing.

// A word as written: its parts in order. `lit` is set when the word is one
// plain unquoted literal with no expansion, tilde or glob character, which
// most command names and arguments are; it needs no expansion at all.
export interface Word {
  readonly parts: readonly Part[];
  readonly lit?: string;
}

export type Part =
  // Unquoted text: subject to pathname expansion, not to field splitting.
  | { readonly t: 'lit'; readonly s: string }
  // Quoted text ('...', \c, the literal text inside "..."): taken as it is.
  | { readonly t: 'q'; readonly s: string }
  // "...": its parts are quoted; an empty "" still makes a field.
  | { readonly t: 'dq'; readonly parts: readonly Part[] }
  | Param
  // $(...) or `...`
  | { readonly t: 'cmd'; readonly body: Node | null }
  // <(...) or >(...) (ash's BASH_PROCESS_SUBST): /dev/fd/N, the body's
  // stdout (toProc false) or stdin (toProc true) at the other end.
  | { readonly t: 'psub'; readonly toProc: boolean; readonly body: Node | null }
  // $((...)): the expression text is expanded first, then evaluated.
  | { readonly t: 'arith'; readonly expr: Word };

export type ParamOp =
  | '' // $v, ${v}
  | '#' // ${#v}
  | '-' | '=' | '?' | '+' // ${v-w} ${v=w} ${v?w} ${v+w}, with colon: also when empty
  | 'trimLeft' | 'trimLeftMax' | 'trimRight' | 'trimRightMax' // ${v#p} ${v##p} ${v%p} ${v%%p}
  | 'replace' | 'replaceAll' // ${v/p/r} ${v//p/r}
  | 'substr' // ${v:off:len}
  | 'bad'; // anything else: "bad substitution" when expanded

export interface Param {
  readonly t: 'param';
  readonly name: string;
  readonly op: ParamOp;
  readonly colon?: boolean;
  readonly arg?: Word; // the word, the pattern, or the offset
  readonly arg2?: Word; // the replacement, or the length
}

export type RedirOp = '<' | '>' | '>>' | '>|' | '<>' | '<&' | '>&' | '&>' | '<<' | '<<-';

export interface Redir {
  readonly fd: number; // -1: the operator's default (0 for <, 1 for >)
  readonly op: RedirOp;
  readonly target: Word; // the file, the fd for <& >&, or a here-document's body
  // For << and <<-: whether the delimiter was quoted (the body is taken as it is).
  readonly quoted?: boolean;
}

export interface Simple {
  readonly t: 'simple';
  readonly assigns: readonly Assign[];
  readonly words: readonly Word[];
  readonly redirs: readonly Redir[];
  readonly line: number;
}

export interface Assign {
  readonly name: string;
  readonly value: Word;
}

export interface CaseItem {
  readonly patterns: readonly Word[];
  readonly body: Node | null;
}

export type Node =
  | Simple
  | { readonly t: 'seq'; readonly list: readonly Node[] }
  | { readonly t: 'bg'; readonly body: Node; readonly line: number; readonly text: string }
  | { readonly t: 'and' | 'or'; readonly left: Node; readonly right: Node }
  | { readonly t: 'not'; readonly body: Node }
  | { readonly t: 'pipe'; readonly cmds: readonly Node[] }
  | { readonly t: 'sub'; readonly body: Node; readonly line: number }
  | { readonly t: 'redir'; readonly body: Node; readonly redirs: readonly Redir[]; readonly line: number }
  | { readonly t: 'if'; readonly cond: Node; readonly then: Node; readonly else: Node | null }
  | { readonly t: 'while' | 'until'; readonly cond: Node; readonly body: Node }
  | { readonly t: 'for'; readonly name: string; readonly words: readonly Word[] | null; readonly body: Node; readonly line: number }
  | { readonly t: 'case'; readonly word: Word; readonly items: readonly CaseItem[]; readonly line: number }
  | { readonly t: 'func'; readonly name: string; readonly body: Node };

// One line of a script as ash reads it: it is parsed, then run, then the next
// one. A syntax error ends the script at its line, after the lines before ran.
export interface Script {
  readonly lines: readonly ScriptLine[];
  readonly error?: ParseError;
}

export interface ScriptLine {
  readonly node: Node | null; // null: an empty line
  readonly start: number; // the line's text in the source, for `set -v`
  readonly end: number;
}

export interface ParseError {
  readonly message: string; // "syntax error: unexpected \"done\""
  readonly atEof?: boolean; // the input ended inside a construct: more may complete it
  readonly line: number;
}
