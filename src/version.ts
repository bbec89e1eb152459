import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/ and dist/ both sit one level below package.json.
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version;
