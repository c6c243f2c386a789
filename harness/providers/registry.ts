import type { Provider } from './provider.js';
import { DockerProvider } from './docker/docker-provider.js';
import { QemuProvider } from './qemu/qemu-provider.js';

/** Every VM backend: adding one is a folder under providers/ and a line here. */
const PROVIDERS = {
  qemu: () => new QemuProvider(),
  docker: () => new DockerProvider(),
} satisfies Record<string, () => Provider>;

export type ProviderName = keyof typeof PROVIDERS;

/** The names a suite's provider: and --provider accept. */
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as [ProviderName, ...ProviderName[]];

const DEFAULT_PROVIDER = 'qemu';

/** The provider of that name; undefined for a name no backend has (the caller says where it came from). */
export function createProvider(name: string = DEFAULT_PROVIDER): Provider | undefined {
  return Object.hasOwn(PROVIDERS, name) ? PROVIDERS[name as ProviderName]() : undefined;
}
