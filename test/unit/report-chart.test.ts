import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, escape } from '../../src/report/chart.js';

/** The bars of a chart as [label, value, y, height], read back from the markup. */
function bars(svg: string): [string, number, number, number][] {
  return [
    ...svg.matchAll(
      /<rect class="point" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" data-label="([^"]*)" data-value="(\d+)">/g,
    ),
  ].map((m) => [m[3]!, Number(m[4]), Number(m[1]), Number(m[2])]);
}

describe('report bar chart (inline SVG)', () => {
  it('draws one bar per point, the tallest filling the plot and the others in proportion', () => {
    const svg = barChart('Orders per day', [
      { label: '2026-06-01', value: 4 },
      { label: '2026-06-02', value: 0 },
      { label: '2026-06-03', value: 2 },
    ]);
    // The plot is 140 - 10 (top) - 18 (bottom) = 112 units high, its baseline at y = 122.
    assert.deepEqual(bars(svg), [
      ['2026-06-01', 4, 10, 112],
      ['2026-06-02', 0, 122, 0],
      ['2026-06-03', 2, 66, 56],
    ]);
    assert.match(svg, /^<svg class="chart" viewBox="0 0 360 140" role="img" aria-label="Orders per day"/);
    assert.match(svg, /<text class="tick" x="24" y="14" text-anchor="end">4<\/text>/, 'the top of the scale');
    assert.match(svg, />2026-06-01<\/text>.*>2026-06-03<\/text><\/svg>$/, 'first and last label under the axis');
  });

  it('draws a flat series of zeros on its axis without dividing by zero', () => {
    const svg = barChart('Failed updates per day', [
      { label: 'a', value: 0 },
      { label: 'b', value: 0 },
    ]);
    assert.deepEqual(bars(svg), [
      ['a', 0, 122, 0],
      ['b', 0, 122, 0],
    ]);
    assert.doesNotMatch(svg, /NaN|Infinity/);
  });

  it('escapes names and labels that come from the database', () => {
    const svg = barChart('<script>alert("x")</script>', [{ label: `O'Brien & <Sons>`, value: 1 }]);
    assert.doesNotMatch(svg, /<script>|O'Brien/);
    assert.match(svg, /aria-label="&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;"/);
    assert.match(svg, /data-label="O&#39;Brien &#38; &#60;Sons&#62;"/);
    assert.equal(escape(`a"b`), 'a&#34;b');
  });
});
