import type { Provider } from '../providers/provider.js';
import { createProvider, PROVIDER_NAMES } from '../providers/registry.js';
import { didYouMean } from '../util/did-you-mean.js';
import { ConfigError } from '../util/errors.js';

/** `--provider NAME`: the VM backend of that name, else a usage error (exit 2) naming the known ones. */
export function providerFromOption(name: string | undefined): Provider | undefined {
  if (name === undefined) return undefined;
  const p = createProvider(name);
  if (!p) {
    const near = didYouMean(name, PROVIDER_NAMES);
    throw new ConfigError('USAGE', `no provider ${JSON.stringify(name)} (known: ${PROVIDER_NAMES.join(', ')})${near ? `: ${near}` : ''}`, { field: '--provider' });
  }
  return p;
}
