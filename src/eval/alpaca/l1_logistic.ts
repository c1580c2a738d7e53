/**
 * L1-regularised logistic regression without intercept, solving the objective liblinear minimises for
 * sklearn's `LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False, C)` with sample weights:
 *
 *   F(w) = ||w||_1 + C · Σ_i s_i · log(1 + exp(−y_i · w·x_i)),   y_i ∈ {−1, +1}, s_i ≥ 0
 *
 * (Fan et al. 2008, LIBLINEAR; sklearn passes sample weights as per-instance C.) Solved by proximal Newton
 * (the newGLMNET scheme of Yuan, Ho & Lin 2012): a quadratic model of the loss with the full Hessian (the
 * GLM here has 2–3 features), minimised with the L1 term by cyclic coordinate descent, then a backtracking
 * line search on F. Unlike liblinear's default tol=1e-4 we iterate to a tight optimality tolerance, so the
 * result is the exact optimum that liblinear approximates.
 */

export interface WeightedRows {
  /** design matrix, one row per sample, [n][d] */
  X: number[][];
  /** labels in {0, 1} */
  y: number[];
  /** non-negative sample weights */
  weight: number[];
}

/** log(1 + exp(z)) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function objective(rows: WeightedRows, C: number, w: number[]): number {
  let loss = 0;
  for (let i = 0; i < rows.X.length; i++) {
    const s = rows.weight[i]!;
    if (s === 0) continue;
    const yi = rows.y[i] === 1 ? 1 : -1;
    loss += s * softplus(-yi * dot(w, rows.X[i]!));
  }
  let l1 = 0;
  for (const v of w) l1 += Math.abs(v);
  return l1 + C * loss;
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** Largest violation of the L1 optimality conditions at w (0 at the optimum). */
function optimalityGap(w: number[], g: number[]): number {
  let gap = 0;
  for (let j = 0; j < w.length; j++) {
    const v = w[j]! !== 0 ? Math.abs(g[j]! + Math.sign(w[j]!)) : Math.max(Math.abs(g[j]!) - 1, 0);
    gap = Math.max(gap, v);
  }
  return gap;
}

export interface L1FitOptions {
  tol?: number;
  maxIter?: number;
}

/** Fit w minimising F(w); returns the coefficients (length d). */
export function fitL1Logistic(rows: WeightedRows, C: number, opts: L1FitOptions = {}): number[] {
  const n = rows.X.length;
  const d = n > 0 ? rows.X[0]!.length : 0;
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? 200;
  let w = new Array<number>(d).fill(0);
  let f = objective(rows, C, w);
  let gap0 = -1;
  for (let iter = 0; iter < maxIter; iter++) {
    // Gradient and Hessian of the loss part: g = C Σ s (σ(y z) − 1) y x, H = C Σ s σ(1−σ) x xᵀ.
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < n; i++) {
      const s = rows.weight[i]!;
      if (s === 0) continue;
      const x = rows.X[i]!;
      const yi = rows.y[i] === 1 ? 1 : -1;
      const p = sigmoid(yi * dot(w, x));
      const gi = C * s * (p - 1) * yi;
      const hi = C * s * p * (1 - p);
      for (let a = 0; a < d; a++) {
        g[a] += gi * x[a]!;
        for (let b = 0; b < d; b++) H[a]![b] += hi * x[a]! * x[b]!;
      }
    }
    const gap = optimalityGap(w, g);
    if (gap0 < 0) gap0 = Math.max(gap, 1);
    if (gap <= tol * gap0) break;

    // Quadratic sub-problem: min_δ gᵀδ + ½δᵀHδ + ||w + δ||_1, by coordinate descent (tiny d: run to convergence).
    const delta = new Array<number>(d).fill(0);
    const Hd = new Array<number>(d).fill(0); // H·δ
    for (let sweep = 0; sweep < 1000; sweep++) {
      let maxStep = 0;
      for (let j = 0; j < d; j++) {
        const hjj = H[j]![j]! + 1e-12;
        const gj = g[j]! + Hd[j]! - H[j]![j]! * delta[j]!; // derivative at δ_j = 0, other coordinates fixed
        // minimise gj·δ_j + ½ hjj δ_j² + |w_j + δ_j| over δ_j: soft-threshold in terms of u = w_j + δ_j.
        const u0 = w[j]! - gj / hjj;
        const u = Math.sign(u0) * Math.max(Math.abs(u0) - 1 / hjj, 0);
        const newDelta = u - w[j]!;
        const step = newDelta - delta[j]!;
        if (step !== 0) {
          for (let a = 0; a < d; a++) Hd[a] += H[a]![j]! * step;
          delta[j] = newDelta;
          maxStep = Math.max(maxStep, Math.abs(step));
        }
      }
      if (maxStep < 1e-15) break;
    }

    // Backtracking (Armijo) on F along δ.
    let l1w = 0;
    let l1wd = 0;
    for (let j = 0; j < d; j++) {
      l1w += Math.abs(w[j]!);
      l1wd += Math.abs(w[j]! + delta[j]!);
    }
    const decrease = dot(g, delta) + l1wd - l1w;
    if (!(decrease < 0)) break; // no descent direction left: at the optimum up to rounding
    let t = 1;
    let accepted = false;
    for (let k = 0; k < 60; k++) {
      const wt = w.map((v, j) => v + t * delta[j]!);
      const ft = objective(rows, C, wt);
      if (ft <= f + 0.01 * t * decrease) {
        w = wt;
        f = ft;
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
  }
  return w;
}

/** P(y = 1 | x) = σ(w·x). */
export function predictProba(w: number[], x: number[]): number {
  return sigmoid(dot(w, x));
}
