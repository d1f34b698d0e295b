// Cross-implementation check with apache-arrow (JS).
//   node check.mjs read <dir>   read every *.arrow / *.arrows zerial wrote there and check values
//   node check.mjs write <dir>  write js.arrow (file), js.arrows (stream) and js_lz4.arrows (LZ4)
// The data set is defined by formulas both sides share (see tests/arrow/test_js_interop.c).
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  tableFromIPC, tableToIPC, tableFromArrays, compressionRegistry, CompressionType,
  makeVector, vectorFromArray, Utf8, Int64, Float64, Bool, Dictionary, Int32, RecordBatchStreamWriter, Table, List, Struct, Field,
} from 'apache-arrow';
import * as lz4 from 'lz4js';
import * as fzstd from 'fzstd';

compressionRegistry.set(CompressionType.LZ4_FRAME, {
  encode: (d) => Uint8Array.from(lz4.compress(d)),
  decode: (d) => Uint8Array.from(lz4.decompress(d)),
});
// fzstd may return a view at an odd offset; apache-arrow needs aligned buffers, so copy.
compressionRegistry.set(CompressionType.ZSTD, { decode: (d) => new Uint8Array(fzstd.decompress(d)) });

const N = 1000;
const colors = ['red', 'green', 'blue'];
const expect = {
  id: (i) => BigInt(i * 3 - 7),
  score: (i) => i * 0.25,
  name: (i) => (i % 7 === 0 ? null : `s${i}`),
  flag: (i) => i % 3 === 0,
  color: (i) => colors[i % 3],
  tags: (i) => Array.from({ length: i % 4 }, (_, k) => BigInt(k)),
  inner: (i) => ({ a: BigInt(i), b: `x${i}` }),
};

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v.toJSON === 'function') {
    const o = v.toJSON();
    if (Array.isArray(o)) return o.map(norm);
    const r = {};
    for (const k of Object.keys(o)) r[k] = norm(o[k]);
    return r;
  }
  if (typeof v.toArray === 'function') return Array.from(v.toArray()).map(norm);
  if (typeof v === 'object') {
    const r = {};
    for (const k of Object.keys(v)) r[k] = norm(v[k]);
    return r;
  }
  return v;
}

function check(table, file) {
  if (table.numRows !== N) fail(`${file}: ${table.numRows} rows, want ${N}`);
  for (const [name, f] of Object.entries(expect)) {
    const col = table.getChild(name);
    if (!col) fail(`${file}: no column ${name}`);
    for (let i = 0; i < N; i++) {
      const got = JSON.stringify(norm(col.get(i)));
      const want = JSON.stringify(norm(f(i)));
      if (got !== want) fail(`${file}: ${name}[${i}] = ${got}, want ${want}`);
    }
  }
}

const [, , mode, dir] = process.argv;
if (mode === 'read') {
  let n = 0;
  for (const f of readdirSync(dir).sort()) {
    if (!/^zr.*\.(arrow|arrows)$/.test(f)) continue;
    const t = tableFromIPC(readFileSync(join(dir, f)));
    check(t, f);
    n++;
  }
  if (n === 0) fail('no files');
  console.log(`js read ${n} files written by zerial`);
} else if (mode === 'write') {
  const ids = [], scores = [], names = [], flags = [], clr = [], tags = [], inner = [];
  for (let i = 0; i < N; i++) {
    ids.push(expect.id(i)); scores.push(expect.score(i)); names.push(expect.name(i));
    flags.push(expect.flag(i)); clr.push(expect.color(i)); tags.push(expect.tags(i)); inner.push(expect.inner(i));
  }
  const table = new Table({
    id: vectorFromArray(ids, new Int64()),
    score: vectorFromArray(scores, new Float64()),
    name: vectorFromArray(names, new Utf8()),
    flag: vectorFromArray(flags, new Bool()),
    color: vectorFromArray(clr, new Dictionary(new Utf8(), new Int32())),
    tags: vectorFromArray(tags, new List(new Field('item', new Int64(), true))),
    inner: vectorFromArray(inner, new Struct([new Field('a', new Int64(), true), new Field('b', new Utf8(), true)])),
  });
  check(table, 'js table');
  writeFileSync(join(dir, 'js.arrow'), tableToIPC(table, 'file'));
  writeFileSync(join(dir, 'js.arrows'), tableToIPC(table, 'stream'));
  const w = new RecordBatchStreamWriter({ compressionType: CompressionType.LZ4_FRAME });
  // note: apache-arrow 21.2.0 puts the compressed length in the buffer prefix (non-conformant)
  w.writeAll(table);
  writeFileSync(join(dir, 'js_lz4.arrows'), w.toUint8Array(true));
  console.log('js wrote 3 files');
} else {
  fail('usage: node check.mjs read|write <dir>');
}
