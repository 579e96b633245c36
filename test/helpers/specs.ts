import { resolve } from 'node:path';

/** `../shared/specs` beside the repository, wherever it is cloned (CI clones it anywhere). */
export const SPECS_DIR = resolve(import.meta.dirname, '../../../shared/specs');
