import { readFileSync } from 'node:fs';
import { packageFile } from './package-root.js';

/** The tool's name and version, recorded in every report so that `verify` can recompute it. */
const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };

export const TOOL_NAME = 'driftctl';
export const TOOL_VERSION: string = pkg.version;
