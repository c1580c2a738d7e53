/**
 * The `js` backend: plain TypeScript kernels, the portable reference every native kernel is tested
 * against and the fallback when the native addon is not built.
 */
import type { Backend } from '../types.ts';
import { attentionBackward, attentionForward } from './attention.ts';
import * as k from './kernels.ts';
import { matmul } from './matmul.ts';

export function createJsBackend(): Backend {
  return {
    name: 'js',
    matmul,
    biasAdd: k.biasAdd,
    biasBackward: k.biasBackward,
    embeddingForward: k.embeddingForward,
    embeddingBackward: k.embeddingBackward,
    rmsnormForward: k.rmsnormForward,
    rmsnormBackward: k.rmsnormBackward,
    ropeForward: k.ropeForward,
    ropeBackward: k.ropeBackward,
    attentionForward,
    attentionBackward,
    gluForward: k.gluForward,
    gluBackward: k.gluBackward,
    add: k.add,
    scale: k.scale,
    axpy: k.axpy,
    softcapForward: k.softcapForward,
    softcapBackward: k.softcapBackward,
    logprobsForward: k.logprobsForward,
    logprobsBackward: k.logprobsBackward,
    adamw: k.adamw,
    sumSquares: k.sumSquares,
  };
}
