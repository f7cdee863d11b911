// Build step: generates ajv's standalone validator for every schema in schemas/ into
// dist/.validator-cache/ (see src/schemas.ts), so a packed or installed driftctl never compiles a
// schema at run time and never needs to write inside its own install folder.
import { readdirSync } from 'node:fs';

const { validatorFor } = await import('../dist/src/schemas.js');
const names = readdirSync(new URL('../schemas/', import.meta.url))
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.slice(0, -'.schema.json'.length));
for (const name of names) validatorFor(name);
