"use strict";
/*
 * A small TOML (v1.0) reader, enough for containerd configs and hosts.toml: tables, array tables, dotted and
 * quoted keys, basic/literal/multi-line strings, integers, floats, booleans, dates (kept as strings),
 * arrays and inline tables. Errors read like go-toml's: "toml: line N: <what>". parse(text) -> object.
 */

function parse(text) {
  const root = {};
  let cur = root;
  let i = 0;
  let line = 1;
  const defined = new Set();

  const fail = (msg) => {
    throw new Error(`toml: line ${line}: ${msg}`);
  };
  const peek = () => text[i];
  const skipWs = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  };
  const skipComment = () => {
    if (text[i] === "#") while (i < text.length && text[i] !== "\n") i++;
  };
  const skipWsNl = () => {
    for (;;) {
      skipWs();
      skipComment();
      if (text[i] === "\n") {
        line++;
        i++;
      } else if (text[i] === "\r" && text[i + 1] === "\n") {
        line++;
        i += 2;
      } else break;
    }
  };
  const endOfLine = () => {
    skipWs();
    skipComment();
    if (i < text.length && text[i] !== "\n" && !(text[i] === "\r" && text[i + 1] === "\n")) {
      fail(`expected newline but got ${JSON.stringify(text[i])}`);
    }
  };

  const basicString = () => {
    // at opening "
    if (text.startsWith('"""', i)) {
      i += 3;
      if (text[i] === "\n") {
        line++;
        i++;
      }
      let s = "";
      for (;;) {
        if (i >= text.length) fail("unterminated multi-line string");
        if (text.startsWith('"""', i)) {
          i += 3;
          return s;
        }
        const c = text[i++];
        if (c === "\n") line++;
        if (c === "\\") {
          if (/^[ \t]*\r?\n/.test(text.slice(i))) {
            while (/[\s]/.test(text[i] || "")) {
              if (text[i] === "\n") line++;
              i++;
            }
            continue;
          }
          s += escape();
        } else s += c;
      }
    }
    i++;
    let s = "";
    for (;;) {
      if (i >= text.length || text[i] === "\n") fail("unterminated basic string");
      const c = text[i++];
      if (c === '"') return s;
      if (c === "\\") s += escape();
      else s += c;
    }
  };
  const escape = () => {
    const c = text[i++];
    const map = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
    if (map[c] !== undefined) return map[c];
    if (c === "u" || c === "U") {
      const n = c === "u" ? 4 : 8;
      const hex = text.slice(i, i + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail("invalid unicode escape");
      i += n;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    return fail(`invalid escape sequence \\${c}`);
  };
  const literalString = () => {
    if (text.startsWith("'''", i)) {
      i += 3;
      if (text[i] === "\n") {
        line++;
        i++;
      }
      const end = text.indexOf("'''", i);
      if (end < 0) fail("unterminated multi-line literal string");
      const s = text.slice(i, end);
      line += (s.match(/\n/g) || []).length;
      i = end + 3;
      return s;
    }
    i++;
    const end = text.indexOf("'", i);
    const nl = text.indexOf("\n", i);
    if (end < 0 || (nl >= 0 && nl < end)) fail("unterminated literal string");
    const s = text.slice(i, end);
    i = end + 1;
    return s;
  };

  const key = () => {
    const parts = [];
    for (;;) {
      skipWs();
      const c = peek();
      if (c === '"') parts.push(basicString());
      else if (c === "'") parts.push(literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
        if (!m) fail(`expected key but got ${JSON.stringify(c === undefined ? "EOF" : c)}`);
        parts.push(m[0]);
        i += m[0].length;
      }
      skipWs();
      if (peek() === ".") {
        i++;
        continue;
      }
      return parts;
    }
  };

  const value = () => {
    skipWs();
    const c = peek();
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === "[") {
      i++;
      const arr = [];
      for (;;) {
        skipWsNl();
        if (peek() === "]") {
          i++;
          return arr;
        }
        arr.push(value());
        skipWsNl();
        if (peek() === ",") {
          i++;
          continue;
        }
        if (peek() === "]") {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' in array but got ${JSON.stringify(peek() === undefined ? "EOF" : peek())}`);
      }
    }
    if (c === "{") {
      i++;
      const obj = {};
      skipWs();
      if (peek() === "}") {
        i++;
        return obj;
      }
      for (;;) {
        const k = key();
        if (peek() !== "=") fail("expected '=' in inline table");
        i++;
        setPath(obj, k, value(), true);
        skipWs();
        if (peek() === ",") {
          i++;
          continue;
        }
        if (peek() === "}") {
          i++;
          return obj;
        }
        fail("expected ',' or '}' in inline table");
      }
    }
    const m = /^[^\s,\]}#]+/.exec(text.slice(i));
    if (!m) fail(`expected value but got ${JSON.stringify(c === undefined || c === "\n" ? "EOF" : c)}`);
    let tok = m[0];
    // dates with a space separator: 1979-05-27 07:32:00Z
    const dt = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[^\s,\]}#]*/.exec(text.slice(i));
    if (dt) tok = dt[0];
    i += tok.length;
    if (tok === "true") return true;
    if (tok === "false") return false;
    if (/^[+-]?(inf|nan)$/.test(tok)) return tok.endsWith("inf") ? (tok.startsWith("-") ? -Infinity : Infinity) : NaN;
    if (/^\d{4}-\d{2}-\d{2}/.test(tok) || /^\d{2}:\d{2}:\d{2}/.test(tok)) return tok;
    const num = tok.replace(/_/g, "");
    if (/^[+-]?(0|[1-9]\d*)$/.test(num)) return parseInt(num, 10);
    if (/^0x[0-9a-fA-F]+$/.test(num)) return parseInt(num.slice(2), 16);
    if (/^0o[0-7]+$/.test(num)) return parseInt(num.slice(2), 8);
    if (/^0b[01]+$/.test(num)) return parseInt(num.slice(2), 2);
    if (/^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(num)) return parseFloat(num);
    return fail(`invalid value ${JSON.stringify(tok)}`);
  };

  const isTable = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  function setPath(base, parts, val, inline) {
    let o = base;
    for (const p of parts.slice(0, -1)) {
      if (o[p] === undefined) o[p] = {};
      else if (!isTable(o[p])) fail(`key ${JSON.stringify(p)} is already defined as a value`);
      o = o[p];
    }
    const last = parts[parts.length - 1];
    if (o[last] !== undefined) fail(`duplicate key ${JSON.stringify(parts.join("."))}`);
    o[last] = val;
    if (!inline) return;
  }

  for (;;) {
    skipWsNl();
    if (i >= text.length) break;
    if (peek() === "[") {
      const arrayTable = text[i + 1] === "[";
      i += arrayTable ? 2 : 1;
      const parts = key();
      if (arrayTable) {
        if (!text.startsWith("]]", i)) fail("expected ']]' closing the array table");
        i += 2;
      } else {
        if (peek() !== "]") fail("expected ']' closing the table header");
        i++;
      }
      endOfLine();
      let o = root;
      for (const p of parts.slice(0, -1)) {
        if (o[p] === undefined) o[p] = {};
        o = Array.isArray(o[p]) ? o[p][o[p].length - 1] : o[p];
        if (!isTable(o)) fail(`key ${JSON.stringify(p)} is not a table`);
      }
      const last = parts[parts.length - 1];
      const id = JSON.stringify(parts);
      if (arrayTable) {
        if (o[last] === undefined) o[last] = [];
        if (!Array.isArray(o[last])) fail(`key ${JSON.stringify(last)} is not an array of tables`);
        const t = {};
        o[last].push(t);
        cur = t;
      } else {
        if (defined.has(id)) fail(`table ${parts.join(".")} already exists`);
        defined.add(id);
        if (o[last] === undefined) o[last] = {};
        if (!isTable(o[last])) fail(`key ${JSON.stringify(last)} is already defined as a value`);
        cur = o[last];
      }
      continue;
    }
    const parts = key();
    if (peek() !== "=") fail(`expected '=' after key ${JSON.stringify(parts.join("."))}`);
    i++;
    const v = value();
    setPath(cur, parts, v, false);
    endOfLine();
  }
  return root;
}

module.exports = { parse };
