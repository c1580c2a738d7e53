/**
 * Reference causal attention (multi-head / grouped-query, sliding window, soft-capping, KV-cache query
 * offset, left-padding start), forward and backward. One query row at a time: the only score storage is
 * one row of Tk scores (the "tile" of this reference implementation), so memory is O(Tk), never O(Tq·Tk).
 *
 * Math (per batch b, query head h, query t at slot i = Tk − Tq + t, kv head g = floor(h / (Hq/Hkv))):
 *   u_j = scale · q_i·k_j,   s_j = c·tanh(u_j/c) (or u_j without capping)       for visible j
 *   visible j: firstKey[b] ≤ j ≤ i  and (W = 0 or j > i − W)
 *   lse_i = log Σ_j exp(s_j),  p_j = exp(s_j − lse_i),  out_i = Σ_j p_j v_j
 * Backward (FlashAttention-2, Dao 2023, Alg. 2): D_i = dout_i·out_i, dp_j = dout_i·v_j,
 *   ds_j = p_j (dp_j − D_i),  du_j = ds_j · (1 − (s_j/c)²) when capped,
 *   dq_i += scale Σ_j du_j k_j,  dk_j += scale du_j q_i,  dv_j += p_j dout_i.
 */
import type { AttentionBackwardArgs, AttentionCommon, AttentionForwardArgs } from '../types.ts';

interface Geometry {
  tcap: number;
  group: number;
  offset: number;
}

function geometry(a: AttentionCommon): Geometry {
  if (a.hq % a.hkv !== 0) throw new Error(`attention: hkv (${a.hkv}) must divide hq (${a.hq})`);
  if (a.tq > a.tk) throw new Error(`attention: tq (${a.tq}) must be <= tk (${a.tk})`);
  const tcap = a.tcap ?? a.tk;
  if (tcap < a.tk) throw new Error(`attention: tcap (${tcap}) must be >= tk (${a.tk})`);
  return { tcap, group: a.hq / a.hkv, offset: a.tk - a.tq };
}

/** First visible key slot for query slot i of batch row b. */
function firstVisible(a: AttentionCommon, b: number, i: number): number {
  let lo = a.firstKey ? a.firstKey[b] : 0;
  if (a.window > 0) lo = Math.max(lo, i - a.window + 1);
  return lo;
}

export function attentionForward(a: AttentionForwardArgs): void {
  const { q, k, v, out, lse, b: B, tq, hq, hkv, dh, scale, softcap } = a;
  const { tcap, group, offset } = geometry(a);
  const s = new Float64Array(a.tk);
  const o = new Float64Array(dh);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < tq; t++) {
      const i = offset + t;
      const lo = firstVisible(a, b, i);
      for (let h = 0; h < hq; h++) {
        const g = Math.floor(h / group);
        const qOff = ((b * tq + t) * hq + h) * dh;
        const lseIdx = (b * hq + h) * tq + t;
        if (lo > i) {
          out.fill(0, qOff, qOff + dh);
          lse[lseIdx] = -Infinity;
          continue;
        }
        let max = -Infinity;
        for (let j = lo; j <= i; j++) {
          const kOff = ((b * tcap + j) * hkv + g) * dh;
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += q[qOff + d] * k[kOff + d];
          let sj = dot * scale;
          if (softcap > 0) sj = softcap * Math.tanh(sj / softcap);
          s[j] = sj;
          if (sj > max) max = sj;
        }
        let sum = 0;
        o.fill(0);
        for (let j = lo; j <= i; j++) {
          const p = Math.exp(s[j] - max);
          sum += p;
          const vOff = ((b * tcap + j) * hkv + g) * dh;
          for (let d = 0; d < dh; d++) o[d] += p * v[vOff + d];
        }
        for (let d = 0; d < dh; d++) out[qOff + d] = o[d] / sum;
        lse[lseIdx] = max + Math.log(sum);
      }
    }
  }
}

export function attentionBackward(a: AttentionBackwardArgs): void {
  const { q, k, v, out, lse, dOut, dq, dk, dv, b: B, tq, hq, hkv, dh, scale, softcap } = a;
  const { tcap, group, offset } = geometry(a);
  const dqRow = new Float64Array(dh);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < tq; t++) {
      const i = offset + t;
      const lo = firstVisible(a, b, i);
      if (lo > i) continue;
      for (let h = 0; h < hq; h++) {
        const g = Math.floor(h / group);
        const qOff = ((b * tq + t) * hq + h) * dh;
        const L = lse[(b * hq + h) * tq + t];
        let D = 0;
        for (let d = 0; d < dh; d++) D += dOut[qOff + d] * out[qOff + d];
        dqRow.fill(0);
        for (let j = lo; j <= i; j++) {
          const kvOff = ((b * tcap + j) * hkv + g) * dh;
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += q[qOff + d] * k[kvOff + d];
          let sj = dot * scale;
          if (softcap > 0) sj = softcap * Math.tanh(sj / softcap);
          const p = Math.exp(sj - L);
          let dp = 0;
          for (let d = 0; d < dh; d++) dp += dOut[qOff + d] * v[kvOff + d];
          let du = p * (dp - D);
          if (softcap > 0) {
            const r = sj / softcap;
            du *= 1 - r * r;
          }
          const c = du * scale;
          for (let d = 0; d < dh; d++) {
            dqRow[d] += c * k[kvOff + d];
            dk[kvOff + d] += c * q[qOff + d];
            dv[kvOff + d] += p * dOut[qOff + d];
          }
        }
        for (let d = 0; d < dh; d++) dq[qOff + d] += dqRow[d];
      }
    }
  }
}
