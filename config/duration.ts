// kubeadm reads token TTLs with Go's time.ParseDuration, so the config accepts exactly that syntax.

const UNIT_MILLISECONDS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3, // micro sign
  "\u03bcs": 1e-3, // Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds for a Go duration such as "15m", "1h30m" or "1.5h"; undefined when Go would reject it. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go accepts a bare "0" but requires a unit on every other number.
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  const component = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (rest !== "") {
    const match = component.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MILLISECONDS[match[2]];
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}
