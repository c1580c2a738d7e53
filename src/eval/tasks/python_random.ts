/**
 * CPython's `random.Random(seed).sample(population, k)`, bit for bit: the MT19937 generator (Matsumoto &
 * Nishimura 1998) seeded by `init_by_array` with the seed's 32-bit words, `_randbelow` by rejection on
 * `getrandbits(k)`, and `sample`'s two strategies (pool for small populations, a selected-set otherwise).
 * lm-eval draws its few-shot examples with `random.Random(1234).sample(docs, n)`, one call per evaluated
 * document in order, so reproducing the stream reproduces lm-eval's few-shot prompts exactly.
 */

const N = 624;
const M = 397;

export class PythonRandom {
  private mt = new Uint32Array(N);
  private mti = N + 1;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`PythonRandom: integer seed expected, got ${seed}`);
    // Python seeds with the absolute value split into 32-bit words, least significant first.
    let s = Math.abs(seed);
    const key: number[] = [];
    do {
      key.push(s % 0x100000000);
      s = Math.floor(s / 0x100000000);
    } while (s > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing precision
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]!;
        i = 1;
      }
    }
    this.mt[0] = 0x80000000;
  }

  /** genrand_uint32 */
  nextUint32(): number {
    if (this.mti >= N) {
      const mag01 = [0, 0x9908b0df];
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (this.mt[kk]! & 0x80000000) | (this.mt[kk + 1]! & 0x7fffffff);
        this.mt[kk] = this.mt[kk + M]! ^ (y >>> 1) ^ mag01[y & 1]!;
      }
      for (; kk < N - 1; kk++) {
        const y = (this.mt[kk]! & 0x80000000) | (this.mt[kk + 1]! & 0x7fffffff);
        this.mt[kk] = this.mt[kk + (M - N)]! ^ (y >>> 1) ^ mag01[y & 1]!;
      }
      const y = (this.mt[N - 1]! & 0x80000000) | (this.mt[0]! & 0x7fffffff);
      this.mt[N - 1] = this.mt[M - 1]! ^ (y >>> 1) ^ mag01[y & 1]!;
      this.mti = 0;
    }
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** getrandbits(k) for 0 < k <= 32 (populations here are far below 2^32). */
  getrandbits(k: number): number {
    if (k <= 0 || k > 32) throw new Error(`PythonRandom.getrandbits: k must be in 1..32, got ${k}`);
    return this.nextUint32() >>> (32 - k);
  }

  /** _randbelow_with_getrandbits(n): uniform in [0, n). */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.sample(population, k) */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (k < 0 || k > n) throw new Error(`PythonRandom.sample: sample larger than population (${k} > ${n})`);
    const result = new Array<T>(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j]!;
        pool[j] = pool[n - i - 1]!;
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = population[j]!;
      }
    }
    return result;
  }
}
