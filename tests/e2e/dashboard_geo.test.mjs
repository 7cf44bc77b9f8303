// The dashboard's geometry (server/web/js/geo.js, plain ES module) run in node:
// WGS84 -> GCJ-02 against the reference vectors the server's geo_test uses
// (published with the eviltransform library), and the village-outline hull.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convexHull, distanceM, padPolygon, projector, wgs84ToGcj02 } from '../../server/web/js/geo.js';

const CASES = [
  ['shanghai', [31.1774276, 121.5272106], [31.17530398364597, 121.531541859215]],
  ['shenzhen', [22.543847, 113.912316], [22.540796131694766, 113.9171764808363]],
  ['beijing', [39.911954, 116.377817], [39.91334545536069, 116.38404722455657]],
];

test('WGS84 -> GCJ-02 matches the reference vectors', () => {
  for (const [name, wgs, gcj] of CASES) {
    const [lat, lon] = wgs84ToGcj02(...wgs);
    assert.ok(Math.abs(lat - gcj[0]) < 1e-9 && Math.abs(lon - gcj[1]) < 1e-9, `${name}: ${lat},${lon} vs ${gcj}`);
  }
  assert.deepEqual(wgs84ToGcj02(51.5074, -0.1278), [51.5074, -0.1278], 'outside China: unchanged');
  const shift = distanceM([28.8571, 121.1432], wgs84ToGcj02(28.8571, 121.1432));
  assert.ok(shift > 200 && shift < 800, `Linhai shifts by a few hundred metres (${shift.toFixed(0)} m)`);
});

test('projector: gcj02 shifts, wgs84 (or anything else) does not', () => {
  assert.deepEqual(projector('wgs84')(28.85, 121.14), [28.85, 121.14]);
  assert.deepEqual(projector('GCJ02')(28.85, 121.14), wgs84ToGcj02(28.85, 121.14));
});

test('village outline: convex hull of the sites, padded outwards', () => {
  const pts = [[0, 0], [0, 1], [1, 1], [1, 0], [0.5, 0.5], [0.2, 0.8]];
  const hull = convexHull(pts);
  assert.equal(hull.length, 4, JSON.stringify(hull));
  for (const corner of [[0, 0], [0, 1], [1, 1], [1, 0]]) assert.ok(hull.some((p) => p[0] === corner[0] && p[1] === corner[1]));
  const grown = padPolygon([[28.85, 121.14], [28.86, 121.14], [28.86, 121.15]], 60);
  assert.equal(grown.length, 3);
  assert.ok(grown[0][0] < 28.85 && grown[2][1] > 121.15, 'vertices moved away from the centre');
  assert.equal(padPolygon([[28.85, 121.14]], 50).length, 4, 'one site: a box around it');
});
