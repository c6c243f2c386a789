import type { Provider } from './provider.js';
import { QemuProvider } from './qemu/qemu-provider.js';

/** Every VM backend: adding one is a folder under providers/ and a line here. */
const PROVIDERS: Record<string, () => Provider> = {
  qemu: () => new QemuProvider(),
};

const DEFAULT_PROVIDER = 'qemu';

/** The provider of that name; undefined for a name no backend has (the caller says where it came from). */
export function createProvider(name: string = DEFAULT_PROVIDER): Provider | undefined {
  return PROVIDERS[name]?.();
}
