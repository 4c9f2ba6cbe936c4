// Loads a module (ours or a peer's) if it is there; a benchmark system whose
// module is missing is reported as skipped with the reason.
export async function tryImport(specifier) {
  try {
    return { module: await import(specifier) };
  } catch (error) {
    return { reason: `cannot load ${specifier}: ${error.code ?? error.message}` };
  }
}

/** The `available()` hook of a system that needs `names` exported by `loaded`. */
export function needs(loaded, ...names) {
  return () => {
    if (loaded.reason) return loaded.reason;
    const missing = names.filter((name) => typeof loaded.module[name] !== "function" && loaded.module[name] === undefined);
    return missing.length > 0 ? `not exported: ${missing.join(", ")}` : undefined;
  };
}
