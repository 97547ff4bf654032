import fs from "node:fs/promises";

/** Resident memory of a process now and at its peak (Linux /proc), in MiB. */
export async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Resets a process's peak resident memory to its current value (Linux 4.0+). */
export async function resetPeak(pid: number): Promise<void> {
  await fs.writeFile(`/proc/${pid}/clear_refs`, "5");
}

/** CPU time a process has used so far, user and system, on all its threads (Linux /proc; clock ticks of 1/100 s), in ms. */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
  // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
