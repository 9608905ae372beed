import { pathToFileURL } from 'node:url';

/**
 * A setup module's default export, which must be a function (pair setup: `(sql, { source,
 * destination })`; worker template: `({ sql, url, env })`). One loader for every setup option.
 * `module` is a path or a `file:` URL; `signature` is what the error says the function takes.
 */
export async function loadSetupFunction<F>(module: string, label: string, signature: string): Promise<F> {
  const mod = (await import(module.startsWith('file:') ? module : pathToFileURL(module).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') {
    throw new TypeError(`pgdock: the ${label} ${module.startsWith('file:') ? new URL(module).pathname : module} must export a default async function ${signature}`);
  }
  return mod.default as F;
}
