// What changed on a host between two LabStack.snapshot()s, for the engine tests that check a host is left as it was.
// The snapshot already leaves out what a reboot changes by itself (a veth's "@if<peer index>", systemd's PrivateTmp
// directories), so the lines compare as they are.

/** The lines `after` has and `before` lacks, and the other way round; no snapshot before counts as an empty one. */
export function difference(before: string | undefined, after: string): { added: string[]; removed: string[] } {
  const was = new Set((before ?? "").split("\n"));
  const is = new Set(after.split("\n"));
  return { added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
}
