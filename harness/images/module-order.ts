/**
 * Load order of kernel modules from a modules.dep text: every dependency before its user,
 * the order modprobe would follow. Pure, so it is tested without a kernel.
 */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const mod = line.slice(0, i).trim();
    const rest = line.slice(i + 1).trim();
    deps.set(mod, rest ? rest.split(/\s+/) : []);
  }
  return deps;
}

/** The module name of a path: kernel/drivers/net/virtio_net.ko.xz -> virtio_net (dashes folded to _). */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|zst|gz))?$/, '');
  return base.replace(/-/g, '_');
}

export function loadOrder(deps: Map<string, string[]>, wanted: string[]): string[] {
  const byName = new Map<string, string>();
  for (const path of deps.keys()) byName.set(moduleName(path), path);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, stack: string[]) => {
    if (seen.has(path)) return;
    if (stack.includes(path)) throw new Error(`module dependency cycle: ${[...stack, path].join(' -> ')}`);
    // modules.dep lists a module's dependencies with the one to load first last.
    for (const d of [...(deps.get(path) ?? [])].reverse()) visit(d, [...stack, path]);
    seen.add(path);
    order.push(path);
  };
  for (const w of wanted) {
    const path = byName.get(moduleName(w));
    if (!path) throw new Error(`kernel module ${w} is not in this kernel's modules.dep (built in, or missing?)`);
    visit(path, []);
  }
  return order;
}
