/**
 * Charts of the demo report: vega-lite specs compiled by vega-lite, rendered to SVG by vega's headless view
 * (renderer 'none': no DOM or canvas), and rasterised to PNG by @resvg/resvg-js (ecosystem.md §7).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';

export type VlSpec = vl.TopLevelSpec;

/** One point of a training curve. */
export interface CurvePoint {
  step: number;
  value: number;
  /** series label, e.g. "DPO+POET" */
  method: string;
  seed: number;
}

/** Fixed colours: DPO family blue, SimPO family orange, POET variants darker; SFT grey. */
export const METHOD_COLORS: Readonly<Record<string, string>> = {
  SFT: '#7f7f7f',
  DPO: '#6baed6',
  'DPO+POET': '#08519c',
  SimPO: '#fdae6b',
  'SimPO+POET': '#d94801',
};

function colorScale(order: string[]): { domain: string[]; range: string[] } {
  const palette = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  return { domain: order, range: order.map((m, i) => METHOD_COLORS[m] ?? palette[i % palette.length]!) };
}

const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';
const CONFIG = { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } };

/** Line chart of a training metric: one colour per method, one line per seed. */
export function curveSpec(title: string, yTitle: string, points: CurvePoint[], methodOrder: string[]): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 260,
    background: 'white',
    config: CONFIG,
    data: { values: points },
    mark: { type: 'line', point: points.length <= 60, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step', axis: { format: 'd', tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'method', type: 'nominal', title: 'method', scale: colorScale(methodOrder) },
      detail: { field: 'seed', type: 'nominal' },
      strokeDash: { field: 'seed', type: 'nominal', title: 'seed' },
    },
  } as VlSpec;
}

export interface ResultBar {
  label: string;
  metric: string;
  mean: number;
  lo: number;
  hi: number;
}

/** Bar charts of the results (one panel per metric), with the seed spread as error bars. */
export function resultsSpec(bars: ResultBar[], methodOrder: string[]): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Results on the held-out prompts (mean ± std over seeds)',
    background: 'white',
    config: CONFIG,
    data: { values: bars },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: [...new Set(bars.map((b) => b.metric))] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 150,
      height: 220,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'label', type: 'nominal', title: null, sort: methodOrder, axis: { labelAngle: -40 } },
            y: { field: 'mean', type: 'quantitative', title: null },
            color: { field: 'label', type: 'nominal', scale: colorScale(methodOrder), legend: null },
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: {
            x: { field: 'label', type: 'nominal', sort: methodOrder },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
          },
        },
      ],
    },
  } as VlSpec;
}

export async function renderSvg(spec: VlSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, width = 900): Buffer {
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'width', value: width },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
