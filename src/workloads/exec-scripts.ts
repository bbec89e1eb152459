import { resourceExhausted } from '../domain/errors';
import { newId } from '../domain/ids';

// Every ExecSync looks through them: their number is bounded.
export const MAX_SCRIPTS = 10_000;

// Scripted ExecSync answers per container, set through the control API: for
// example, make a readiness probe fail from second 30 of the container's life.
export interface ExecScript {
  id: string;
  containerId: string;
  // Seconds since the container started.
  from_seconds: number;
  until_seconds?: number;
  // Only commands whose words, joined by spaces, contain this.
  command?: string;
  exit_code: number;
  stdout: string;
  stderr: string;
}

export class ExecScripts {
  private readonly scripts = new Map<string, ExecScript>();

  add(script: Omit<ExecScript, 'id'>): ExecScript {
    if (this.scripts.size >= MAX_SCRIPTS) throw resourceExhausted(`exec scripts: there are already ${MAX_SCRIPTS}, the most fakecri holds; remove some first`);
    const s = { ...script, id: newId().slice(0, 12) };
    this.scripts.set(s.id, s);
    return s;
  }

  remove(id: string): boolean {
    return this.scripts.delete(id);
  }

  removeFor(containerId: string): void {
    for (const [id, s] of this.scripts) if (s.containerId === containerId) this.scripts.delete(id);
  }

  list(containerId?: string): ExecScript[] {
    return [...this.scripts.values()].filter((s) => !containerId || s.containerId === containerId);
  }

  // The newest script that applies to this call, if any.
  match(containerId: string, cmd: string[], secondsSinceStart: number): ExecScript | undefined {
    const line = cmd.join(' ');
    let found: ExecScript | undefined;
    for (const s of this.scripts.values()) {
      if (s.containerId !== containerId) continue;
      if (secondsSinceStart < s.from_seconds || (s.until_seconds !== undefined && secondsSinceStart >= s.until_seconds)) continue;
      if (s.command && !line.includes(s.command)) continue;
      found = s;
    }
    return found;
  }
}
