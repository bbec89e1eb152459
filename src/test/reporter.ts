import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

// After vitest's own summary: every skipped test by name with the reason it
// was skipped, then one closing line with the counts.
export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state === 'passed') passed++;
        else if (r.state === 'failed') failed++;
        else if (r.state === 'skipped') skipped.push(`  ${m.moduleId.replace(`${process.cwd()}/`, '')} > ${t.fullName}\n      because ${reasonFor(t) ?? 'no reason given (a bug: use needs() from src/test/skip.ts)'}`);
      }
    }
    const out = process.stdout;
    if (skipped.length) out.write(`\nSkipped tests (${skipped.length}):\n${skipped.join('\n')}\n`);
    out.write(`\nfakecri tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}

function reasonFor(t: TestCase): string | undefined {
  const note = t.result().state === 'skipped' ? (t.result() as { note?: string }).note : undefined;
  if (note) return note;
  for (let s: TestCase | TestSuite | TestModule | undefined = t; s && s.type !== 'module'; s = s.parent) {
    const reason = s.meta().skipReason;
    if (reason) return reason;
  }
  return undefined;
}
