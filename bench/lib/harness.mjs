// The measuring core of `pnpm bench`.
//
// The machine is shared and noisy, so no figure stands alone: every case runs
// its systems (smtpkit, the peers, a physical ceiling) interleaved, round after
// round, and reports the median with min and max, and ratios computed from
// medians of the same run.

import { performance } from "node:perf_hooks";

/**
 * Runs `run` repeatedly for about `minTimeMs` after a short warm-up and
 * returns the throughput. `run` returns the amount of work one call did
 * (bytes for MB/s cases, operations for ops/s cases); it may be async.
 */
export async function measureOnce(run, { minTimeMs, warmupMs }) {
  // A warm-up of 0 or less means none (a case that warms its systems up in `setup`).
  if (warmupMs > 0) {
    const warmEnd = performance.now() + warmupMs;
    do {
      await run();
    } while (performance.now() < warmEnd);
  }
  let work = 0;
  let calls = 0;
  const start = performance.now();
  let now = start;
  do {
    work += await run();
    calls += 1;
    now = performance.now();
  } while (now - start < minTimeMs);
  return { perSecond: (work * 1000) / (now - start), calls };
}

/** Median, minimum and maximum of a list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * Runs one case: `systems` interleaved for `rounds` rounds. A system whose
 * `available()` returns a string is skipped with that reason (a missing peer is
 * reported, never dropped silently).
 */
export async function runCase(benchCase, profileOptions) {
  // A case may override the profile's timing (`options`) and share a fixture
  // between its systems (`setup`/`teardown`: a sink every client sends to).
  const options = { ...profileOptions, ...benchCase.options };
  if (benchCase.setup) await benchCase.setup();
  try {
    return await runSystems(benchCase, options);
  } finally {
    if (benchCase.teardown) await benchCase.teardown();
  }
}

async function runSystems(benchCase, options) {
  const systems = [];
  for (const system of benchCase.systems) {
    const reason = system.available ? await system.available() : undefined;
    if (typeof reason === "string") {
      systems.push({ ...system, skipped: reason, samples: [] });
      continue;
    }
    if (system.setup) await system.setup();
    systems.push({ ...system, samples: [] });
  }
  for (let round = 0; round < options.rounds; round += 1) {
    // Rotate the order every round so no system always runs first (or right after GC-heavy peers).
    const order = systems.filter((system) => !system.skipped);
    const rotated = order.slice(round % Math.max(order.length, 1)).concat(order.slice(0, round % Math.max(order.length, 1)));
    for (const system of rotated) {
      const { perSecond } = await measureOnce(system.run, options);
      system.samples.push(perSecond);
    }
  }
  // `peakRss()`: a system measured in a process of its own reports that process's peak resident set.
  for (const system of systems) if (system.peakRss && !system.skipped) system.peakRssBytes = await system.peakRss();
  for (const system of systems) if (system.teardown && !system.skipped) await system.teardown();
  const results = systems.map((system) => ({
    system: system.name,
    role: system.role,
    skipped: system.skipped,
    ...(system.skipped ? {} : summarize(system.samples)),
    ...(system.peakRssBytes === undefined ? {} : { peakRss: system.peakRssBytes }),
    samples: system.samples,
  }));
  const ours = results.find((result) => result.role === "ours" && !result.skipped);
  const peers = results.filter((result) => result.role === "peer" && !result.skipped);
  const bestPeer = peers.reduce((best, peer) => (best === undefined || peer.median > best.median ? peer : best), undefined);
  const ceiling = results.find((result) => result.role === "ceiling" && !result.skipped);
  // A reference is a system that does less than the full job (mailsplit splits
  // without decoding): shown for comparison, never counted as a peer.
  const reference = results.find((result) => result.role === "reference" && !result.skipped);
  // The peer a case's target names ("≥ 1.3× smtp-server"), when it is not the fastest peer.
  const targetPeer = benchCase.targetPeer === undefined ? undefined : peers.find((peer) => peer.system === benchCase.targetPeer);
  return {
    group: benchCase.group,
    name: benchCase.name,
    unit: benchCase.unit,
    target: benchCase.target,
    results,
    ratios: {
      bestPeer: bestPeer?.system,
      oursToBestPeer: ours && bestPeer ? ours.median / bestPeer.median : undefined,
      oursToCeiling: ours && ceiling ? ours.median / ceiling.median : undefined,
      reference: reference?.system,
      oursToReference: ours && reference ? ours.median / reference.median : undefined,
      ...(targetPeer ? { targetPeer: targetPeer.system, oursToTargetPeer: ours ? ours.median / targetPeer.median : undefined } : {}),
    },
  };
}

/** Formats a throughput for the table. */
export function formatRate(value, unit) {
  if (value === undefined) return "-";
  if (unit === "MB/s") return `${(value / 1e6).toFixed(value >= 1e8 ? 0 : 1)} MB/s`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M ${unit}`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k ${unit}`;
  return `${value.toFixed(0)} ${unit}`;
}
