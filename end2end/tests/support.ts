import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs the vestibule CLI against the server's own database and returns its JSON output. */
export function vestibule(...args: string[]): any {
  const dataDir = process.env.E2E_DATA_DIR!;
  const out = execFileSync(process.env.E2E_BIN!, args, {
    env: {
      PATH: process.env.PATH,
      VESTIBULE_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, 'vestibule.db')}`,
      VESTIBULE_PASSWORD_HASHING: 'test-only-cheap',
    },
  });
  return JSON.parse(out.toString());
}

export const baseURL = () => process.env.E2E_BASE_URL!;
