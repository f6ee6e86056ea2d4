"use strict";
// A small YAML reader/writer for the kube doubles (no npm packages on a lab host).
// Reads what kubeadm configs and kubeconfigs use: block mappings and sequences (also "- key: v" items and
// sequences at the parent key's indent), flow [..] / {..} (may span lines), quoted and plain scalars,
// block scalars (| |- > >-), comments, multi-document streams (---). Not anchors, aliases or tags.
// Writes Go-yaml-like block style (what kubeadm writes: keys in the given order, "- " at the key's indent).

function stripComment(line) {
  let inS = false;
  let inD = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" && !inD) inS = !inS;
    else if (c === '"' && !inS && line[i - 1] !== "\\") inD = !inD;
    else if (c === "#" && !inS && !inD && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function scalar(text) {
  const t = text.trim();
  if (t === "" || t === "~" || t === "null" || t === "Null" || t === "NULL") return null;
  if (t[0] === '"') return JSON.parse(t.replace(/\\\//g, "/").replace(/\t/g, "\\t"));
  if (t[0] === "'") return t.slice(1, -1).replace(/''/g, "'");
  if (/^(true|True|TRUE)$/.test(t)) return true;
  if (/^(false|False|FALSE)$/.test(t)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(t)) return Number(t);
  if (/^0o[0-7]+$/.test(t)) return parseInt(t.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(t)) return Number(t);
  return t;
}

// Flow collections: a tiny recursive-descent parser over one string.
function parseFlow(s) {
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  function value(stops) {
    ws();
    if (s[i] === "[") {
      i++;
      const arr = [];
      ws();
      if (s[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(",]"));
        ws();
        if (s[i] === ",") {
          i++;
          ws();
          if (s[i] === "]") {
            i++;
            return arr;
          }
          continue;
        }
        if (s[i] === "]") {
          i++;
          return arr;
        }
        throw new Error(`yaml: bad flow sequence: ${s}`);
      }
    }
    if (s[i] === "{") {
      i++;
      const obj = {};
      ws();
      if (s[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        const k = value(":,}");
        ws();
        let v = null;
        if (s[i] === ":") {
          i++;
          v = value(",}");
        }
        obj[String(k)] = v;
        ws();
        if (s[i] === ",") {
          i++;
          ws();
          if (s[i] === "}") {
            i++;
            return obj;
          }
          continue;
        }
        if (s[i] === "}") {
          i++;
          return obj;
        }
        throw new Error(`yaml: bad flow mapping: ${s}`);
      }
    }
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i];
      let j = i + 1;
      while (j < s.length) {
        if (q === '"' && s[j] === "\\") j += 2;
        else if (q === "'" && s[j] === "'" && s[j + 1] === "'") j += 2;
        else if (s[j] === q) break;
        else j++;
      }
      const text = s.slice(i, j + 1);
      i = j + 1;
      return scalar(text);
    }
    let j = i;
    while (j < s.length && !stops.includes(s[j])) {
      if (s[j] === ":" && stops.includes(":") && !/\s|,|}/.test(s[j + 1] || " ")) {
        j++;
        continue;
      }
      j++;
    }
    const text = s.slice(i, j);
    i = j;
    return scalar(text);
  }
  const v = value("");
  return v;
}

function balance(text) {
  let depth = 0;
  let inS = false;
  let inD = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" && !inD) inS = !inS;
    else if (c === '"' && !inS && text[i - 1] !== "\\") inD = !inD;
    else if (!inS && !inD && (c === "[" || c === "{")) depth++;
    else if (!inS && !inD && (c === "]" || c === "}")) depth--;
  }
  return depth;
}

function splitKey(content) {
  // "key: value" / "key:" / '"quoted key": v'; returns null when this is not a mapping entry.
  let i = 0;
  if (content[0] === '"' || content[0] === "'") {
    const q = content[0];
    i = 1;
    while (i < content.length && content[i] !== q) i += content[i] === "\\" && q === '"' ? 2 : 1;
    i++;
    if (content[i] !== ":") return null;
    if (i + 1 < content.length && content[i + 1] !== " ") return null;
    return { key: String(scalar(content.slice(0, i))), rest: content.slice(i + 1) };
  }
  if (content[0] === "[" || content[0] === "{") return null;
  for (; i < content.length; i++) {
    if (content[i] === ":" && (i + 1 === content.length || content[i + 1] === " ")) {
      return { key: content.slice(0, i).trim(), rest: content.slice(i + 1) };
    }
  }
  return null;
}

class Parser {
  constructor(lines) {
    // lines: [{indent, content, raw}] without blank/comment lines (raw kept for block scalars)
    this.lines = lines;
    this.pos = 0;
  }

  peek() {
    return this.lines[this.pos];
  }

  parseNode(indent) {
    const line = this.peek();
    if (!line || line.indent < indent) return null;
    if (line.content === "-" || line.content.startsWith("- ")) return this.parseSeq(line.indent);
    return this.parseMap(line.indent);
  }

  // Value text after "key:" or "- ": scalar, flow, block scalar, or a nested block on following lines.
  parseInlineValue(rest, parentIndent, allowSameIndentSeq) {
    const t = rest.trim();
    if (t === "") {
      const next = this.peek();
      if (!next) return null;
      if (next.indent > parentIndent) return this.parseNode(next.indent);
      if (
        allowSameIndentSeq &&
        next.indent === parentIndent &&
        (next.content === "-" || next.content.startsWith("- "))
      ) {
        return this.parseSeq(parentIndent);
      }
      return null;
    }
    if (/^[|>][-+]?[0-9]?$/.test(t)) return this.parseBlockScalar(t, parentIndent);
    if (t[0] === "[" || t[0] === "{") {
      let text = t;
      while (balance(text) > 0 && this.peek()) text += " " + this.lines[this.pos++].content;
      return parseFlow(text);
    }
    if ((t[0] === '"' || t[0] === "'") && !/["']$/.test(t)) {
      let text = t;
      while (this.peek() && !/["']$/.test(text)) text += " " + this.lines[this.pos++].content.trim();
      return scalar(text);
    }
    // plain multi-line scalars: continuation lines more indented than the parent
    let text = t;
    while (
      this.peek() &&
      this.peek().indent > parentIndent &&
      !splitKey(this.peek().content) &&
      !this.peek().content.startsWith("- ")
    ) {
      text += " " + this.lines[this.pos++].content.trim();
    }
    return scalar(text);
  }

  parseBlockScalar(header, parentIndent) {
    const raws = [];
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos];
      if (!l.blank && l.indent <= parentIndent) break;
      raws.push(l.raw);
      this.pos++;
    }
    while (raws.length && raws[raws.length - 1].trim() === "") raws.pop();
    const nonBlank = raws.filter((r) => r.trim() !== "");
    const ind = nonBlank.length ? Math.min(...nonBlank.map((r) => r.length - r.trimStart().length)) : 0;
    const body = raws.map((r) => r.slice(ind));
    let text;
    if (header[0] === "|") text = body.join("\n");
    else text = body.join("\n").replace(/([^\n])\n(?=[^\n])/g, "$1 ");
    if (header.includes("-")) return text;
    return text + "\n";
  }

  parseMap(indent) {
    const obj = {};
    while (this.peek() && this.peek().indent === indent) {
      const line = this.peek();
      if (line.content === "-" || line.content.startsWith("- ")) break;
      const kv = splitKey(line.content);
      if (!kv) throw new Error(`yaml: expected "key: value" at line ${line.no}: ${line.content}`);
      this.pos++;
      obj[kv.key] = this.parseInlineValue(kv.rest, indent, true);
    }
    return obj;
  }

  parseSeq(indent) {
    const arr = [];
    while (
      this.peek() &&
      this.peek().indent === indent &&
      (this.peek().content === "-" || this.peek().content.startsWith("- "))
    ) {
      const line = this.peek();
      const rest = line.content === "-" ? "" : line.content.slice(2);
      const inner = rest.replace(/^\s+/, "");
      const innerIndent = indent + (line.content.length - inner.length);
      if (inner === "") {
        this.pos++;
        arr.push(this.parseInlineValue("", indent, false));
        continue;
      }
      const kv = inner[0] === "[" || inner[0] === "{" ? null : splitKey(inner);
      if (kv || inner.startsWith("- ")) {
        // the item is a block node starting on this line at innerIndent: rewrite this line in place
        this.lines[this.pos] = { ...line, indent: innerIndent, content: inner };
        arr.push(this.parseNode(innerIndent));
      } else {
        this.pos++;
        arr.push(this.parseInlineValue(inner, indent, false));
      }
    }
    return arr;
  }
}

function parseAll(text) {
  const docs = [];
  let cur = [];
  const raw = String(text).replace(/\r\n/g, "\n").split("\n");
  const flush = () => {
    const lines = cur;
    cur = [];
    const meaningful = lines.filter((l) => !l.blank);
    if (meaningful.length === 0) return;
    const p = new Parser(lines.filter((l, i) => !l.blank || (i > 0 && i < lines.length)));
    // skip leading blanks
    while (p.peek() && p.peek().blank) p.pos++;
    const doc = p.parseNode(0);
    docs.push(doc);
  };
  raw.forEach((r, idx) => {
    if (/^---(\s|$)/.test(r)) {
      flush();
      const rest = r.slice(3).trim();
      if (rest) cur.push({ indent: 0, content: rest, raw: rest, no: idx + 1 });
      return;
    }
    if (/^\.\.\.\s*$/.test(r)) {
      flush();
      return;
    }
    if (/^%/.test(r) && cur.length === 0) return;
    const noComment = stripComment(r);
    if (noComment.trim() === "") {
      cur.push({ blank: true, indent: 0, content: "", raw: r, no: idx + 1 });
      return;
    }
    const indent = noComment.length - noComment.trimStart().length;
    cur.push({ indent, content: noComment.trim(), raw: r, no: idx + 1 });
  });
  flush();
  return docs;
}

// Blank lines matter only inside block scalars; the parser skips them elsewhere.
Parser.prototype.peek = function peek() {
  while (this.pos < this.lines.length && this.lines[this.pos].blank) this.pos++;
  return this.lines[this.pos];
};

function parse(text) {
  const docs = parseAll(text);
  return docs.length ? docs[0] : null;
}

// --- writer ---
function needsQuote(s) {
  if (s === "") return true;
  if (/^[\s]|[\s]$/.test(s)) return true;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^-[^\s-]/.test(s)) return true;
  if (/: |\s#|\n|\t/.test(s)) return true;
  if (/:$/.test(s)) return true;
  if (scalar(s) !== s) return true; // would read back as a number, bool or null
  return false;
}

function str(s) {
  return needsQuote(s) ? JSON.stringify(s) : s;
}

function emitScalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return str(v);
  return String(v);
}

function isScalar(v) {
  return v === null || v === undefined || typeof v !== "object";
}

function emit(v, indent) {
  const pad = " ".repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]\n";
    let out = "";
    for (const item of v) {
      if (isScalar(item)) out += `${pad}- ${emitScalar(item)}\n`;
      else if (Array.isArray(item) && item.length === 0) out += `${pad}- []\n`;
      else if (!Array.isArray(item) && Object.keys(item).length === 0) out += `${pad}- {}\n`;
      else {
        const inner = emit(item, indent + 2);
        out += `${pad}- ${inner.slice(indent + 2)}`;
      }
    }
    return out;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return "{}\n";
  let out = "";
  for (const k of keys) {
    const val = v[k];
    if (val === undefined) continue;
    if (isScalar(val)) out += `${pad}${str(k)}: ${emitScalar(val)}\n`;
    else if (Array.isArray(val)) {
      if (val.length === 0) out += `${pad}${str(k)}: []\n`;
      else out += `${pad}${str(k)}:\n${emit(val, indent)}`;
    } else if (Object.keys(val).length === 0) out += `${pad}${str(k)}: {}\n`;
    else out += `${pad}${str(k)}:\n${emit(val, indent + 2)}`;
  }
  return out;
}

function stringify(v) {
  if (isScalar(v)) return emitScalar(v) + "\n";
  return emit(v, 0);
}

module.exports = { parse, parseAll, stringify };
