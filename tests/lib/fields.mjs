// The settings' field table (dsp/src/settings/fields.rs), read from its
// source: every field's JSON pointer, module, label, unit and kind, so the
// tests check the page against the table itself.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dsp/src/settings/fields.rs');

const MODULES = { Input: 'Input', Eq: 'EQ', Compressor: 'Compressor', Stereo: 'Stereo', Limiter: 'Limiter', Output: 'Output', Amount: 'Amount' };

const number = (s) => Number(s.replace(/_/g, ''));

function parseNum(args) {
  const [min, max, step, fine, log] = args.split(',').map((x) => x.trim());
  return { kind: 'number', min: number(min), max: number(max), step: number(step), fineStep: number(fine), log: log === 'true' };
}

/** Every row of FIELDS, in the table's order. */
export function readFields() {
  const text = fs.readFileSync(SRC, 'utf8');
  const consts = {};
  for (const m of text.matchAll(/const (\w+): Kind = num\(([^)]*)\);/g)) consts[m[1]] = parseNum(m[2]);
  const table = text.slice(text.indexOf('pub const FIELDS'));
  const rows = [];
  const re = /row\("([^"]+)",\s*(\w+),\s*"([^"]*)",\s*"([^"]*)",\s*(num\(([^)]*)\)|Kind::Toggle|Kind::Choice\(&\[([\s\S]*?)\]\)|([A-Z_]+))/g;
  for (const m of table.matchAll(re)) {
    const [, pointer, module, label, unit] = m;
    let kind;
    if (m[6] !== undefined) kind = parseNum(m[6]);
    else if (m[5] === 'Kind::Toggle') kind = { kind: 'toggle' };
    else if (m[7] !== undefined) {
      const options = [...m[7].matchAll(/\("((?:[^"\\]|\\.)*)",\s*"([^"]*)"\)/g)].map((o) => ({ json: o[1].replace(/\\"/g, '"'), label: o[2] }));
      kind = { kind: 'choice', options };
    } else kind = consts[m[8]];
    if (!kind) throw new Error(`unknown kind for ${pointer}`);
    rows.push({ pointer, module: MODULES[module], label, unit, ...kind });
  }
  if (rows.length < 40) throw new Error(`only ${rows.length} rows read from ${SRC}`);
  return rows;
}

/** The field's name in a sentence, as the table's `Field::name` gives it ("Limiter ceiling"). */
export function fieldName(f) {
  if (f.label.toLowerCase().startsWith(f.module.toLowerCase())) return f.label;
  return `${f.module} ${f.label[0].toLowerCase()}${f.label.slice(1)}`;
}
