// The host's users, written into its private /etc only: the machine's account files are read, never changed.
import * as fs from "fs";

export const KUBE_UID = 1500;
export const USERS = ["root", "kube"];

const KUBE = {
  passwd: `kube:x:${KUBE_UID}:${KUBE_UID}:kube:/home/kube:/bin/bash`,
  group: `kube:x:${KUBE_UID}:`,
};

export interface AccountFiles {
  passwd: string;
  group: string;
  shadow: string;
  gshadow: string;
}

function lines(file: string): string[] {
  try {
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
  } catch {
    return [];
  }
}

/** Drops any machine entry that would clash with kube by name or by id (field 3 in passwd and group). */
function withoutKube(entries: string[]): string[] {
  return entries.filter((l) => {
    const f = l.split(":");
    return f[0] !== "kube" && f[2] !== String(KUBE_UID);
  });
}

/**
 * The machine's accounts plus kube. Password hashes are not copied: root and kube get "*" (no password, but not
 * locked, so key login works with UsePAM no), every other account "!" (locked).
 */
export function accountFiles(etc = "/etc"): AccountFiles {
  const passwd = withoutKube(lines(`${etc}/passwd`));
  const group = withoutKube(lines(`${etc}/group`));
  const shadow = lines(`${etc}/shadow`).filter((l) => l.split(":")[0] !== "kube");
  const gshadow = lines(`${etc}/gshadow`).filter((l) => l.split(":")[0] !== "kube");
  const days = Math.floor(Date.now() / 86_400_000);
  const maskShadow = (l: string): string => {
    const f = l.split(":");
    f[1] = USERS.includes(f[0]) ? "*" : "!";
    return f.join(":");
  };
  const maskGshadow = (l: string): string => {
    const f = l.split(":");
    f[1] = "!";
    return f.join(":");
  };
  const text = (entries: string[]): string => entries.join("\n") + "\n";
  return {
    passwd: text([...passwd, KUBE.passwd]),
    group: text([...group, KUBE.group]),
    shadow: text([...shadow.map(maskShadow), `kube:*:${days}:0:99999:7:::`]),
    gshadow: text([...gshadow.map(maskGshadow), "kube:!::"]),
  };
}

export const KUBE_SUDOERS = "kube ALL=(ALL) NOPASSWD:ALL\n";
