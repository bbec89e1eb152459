import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/ and dist/ both sit one level below package.json.
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version;

// The kubernetes/cri-api tag our proto was written from, as its header says.
export const CRI_API_TAG: string =
  /at tag (v\d+\.\d+\.\d+)/.exec(readFileSync(join(__dirname, '..', 'proto', 'runtime', 'v1', 'api.proto'), 'utf8').slice(0, 1024))?.[1] ?? 'unknown';
