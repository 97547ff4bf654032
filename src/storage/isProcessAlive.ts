/** Whether a process of this host with `pid` is alive (one that is us counts as gone: a previous run that had our pid). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
