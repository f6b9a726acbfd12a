/**
 * One-dimensional Parzen estimators for TPE: a mixture of truncated normals, one at each
 * observed value plus a wide prior in the middle of the range, each as wide as the gap to its
 * farther neighbour (clipped, so a few points neither collapse nor cover everything); and for
 * categories, smoothed frequencies.
 */
import type { Rng } from "./rng.js";

/** The error function (Abramowitz and Stegun 7.1.26, error < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export class Parzen {
  private readonly mus: number[];
  private readonly sigmas: number[];
  /** Each component's mass inside [lower, upper] (its truncation). */
  private readonly masses: number[];

  constructor(
    points: readonly number[],
    private readonly lower: number,
    private readonly upper: number,
  ) {
    const range = upper - lower;
    const mus = [...points].sort((a, b) => a - b);
    const minSigma = range / Math.min(100, points.length + 1);
    const sigmas = mus.map((mu, i) => {
      const left = i === 0 ? mu - lower : mu - (mus[i - 1] as number);
      const right = i === mus.length - 1 ? upper - mu : (mus[i + 1] as number) - mu;
      return Math.min(range, Math.max(minSigma, left, right));
    });
    // The prior: wide, in the middle, so that no region is ever ruled out.
    this.mus = [...mus, (lower + upper) / 2];
    this.sigmas = [...sigmas, range];
    this.masses = this.mus.map((mu, i) => {
      const sigma = this.sigmas[i] as number;
      return Math.max(1e-12, normalCdf((upper - mu) / sigma) - normalCdf((lower - mu) / sigma));
    });
  }

  /** A draw: a component at random, then its normal truncated to the range (redrawn, else clipped). */
  sample(rng: Rng): number {
    const i = rng.int(0, this.mus.length);
    const mu = this.mus[i] as number;
    const sigma = this.sigmas[i] as number;
    for (let tries = 0; tries < 16; tries++) {
      const x = mu + sigma * rng.normal();
      if (x >= this.lower && x <= this.upper) return x;
    }
    return Math.min(this.upper, Math.max(this.lower, mu));
  }

  logDensity(x: number): number {
    let sum = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const sigma = this.sigmas[i] as number;
      const z = (x - (this.mus[i] as number)) / sigma;
      sum += Math.exp(-0.5 * z * z - LOG_SQRT_2PI) / (sigma * (this.masses[i] as number));
    }
    return Math.log(sum / this.mus.length + 1e-300);
  }
}

/** Smoothed frequencies of category indexes 0 … k-1 (each category starts with a count of 1). */
export function categoryWeights(indexes: readonly number[], k: number): number[] {
  const counts = Array.from({ length: k }, () => 1);
  for (const i of indexes) counts[i] = (counts[i] as number) + 1;
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
}

/** An index drawn with the given weights (they sum to 1). */
export function drawWeighted(weights: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
