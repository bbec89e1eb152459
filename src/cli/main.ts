#!/usr/bin/env node
import { buildProgram } from './program';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`fakecri: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
