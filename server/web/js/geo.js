// Geometry the map needs: WGS84 -> GCJ-02 (for base maps drawn in the Chinese
// "Mars" datum), convex hulls (village outlines without a base map), distances.

const A = 6378245.0;             // Krasovsky 1940 semi-major axis, as GCJ-02 uses
const EE = 0.00669342162296594323;

function outOfChina(lat, lon) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

// [lat, lon] in GCJ-02 for a WGS84 point (unchanged outside China, as the datum defines).
export function wgs84ToGcj02(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  let dLat = tLat(lon - 105, lat - 35);
  let dLon = tLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lon + dLon];
}

// A projector for the configured base map: crs "gcj02" shifts, anything else is WGS84.
export function projector(crs) {
  if (String(crs).toLowerCase() === 'gcj02') return (lat, lon) => wgs84ToGcj02(lat, lon);
  return (lat, lon) => [lat, lon];
}

// Convex hull of [lat, lon] points (Andrew's monotone chain), counter-clockwise.
export function convexHull(points) {
  const p = points.map(([la, lo]) => [lo, la]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return points.slice();
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  upper.pop();
  lower.pop();
  return lower.concat(upper).map(([lo, la]) => [la, lo]);
}

// A hull grown outwards by about `meters` (so an outline does not cut through its sites).
export function padPolygon(poly, meters) {
  if (poly.length === 0) return poly;
  const cLat = poly.reduce((s, p) => s + p[0], 0) / poly.length;
  const cLon = poly.reduce((s, p) => s + p[1], 0) / poly.length;
  const mLat = 111320;
  const mLon = 111320 * Math.cos((cLat * Math.PI) / 180);
  if (poly.length < 3) {
    // one or two sites: a box around them
    const lats = poly.map((p) => p[0]);
    const lons = poly.map((p) => p[1]);
    const dLa = meters / mLat;
    const dLo = meters / mLon;
    const s = Math.min(...lats) - dLa;
    const n = Math.max(...lats) + dLa;
    const w = Math.min(...lons) - dLo;
    const e = Math.max(...lons) + dLo;
    return [[s, w], [s, e], [n, e], [n, w]];
  }
  return poly.map(([la, lo]) => {
    const dy = (la - cLat) * mLat;
    const dx = (lo - cLon) * mLon;
    const d = Math.hypot(dx, dy) || 1;
    const k = (d + meters) / d;
    return [cLat + (dy * k) / mLat, cLon + (dx * k) / mLon];
  });
}

// Great-circle distance in metres.
export function distanceM(a, b) {
  const R = 6371008.8;
  const toRad = (x) => (x * Math.PI) / 180;
  const dLat = toRad(b[0] - a[0]);
  const dLon = toRad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a[0])) * Math.cos(toRad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
