import Docker from 'dockerode';

const docker = new Docker();

/** The pgdock containers of one project (by its `pgdock.project` label), running or not. */
export async function projectContainers(projectKey: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`pgdock.project=${projectKey}`] } });
}

/** Removes a project's containers: a safety net after a spec has checked what it wanted. */
export async function removeProjectContainers(projectKey: string): Promise<void> {
  for (const c of await projectContainers(projectKey)) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
  }
}

/** Polls Docker while something runs and remembers the most containers seen at once, and all ids. */
export class ContainerWatch {
  maxAtOnce = 0;
  readonly ids = new Set<string>();
  private stopped = false;
  private loop: Promise<void>;

  constructor(private readonly projectKey: string, intervalMs = 50) {
    this.loop = (async () => {
      while (!this.stopped) {
        const list = await projectContainers(this.projectKey);
        this.maxAtOnce = Math.max(this.maxAtOnce, list.length);
        for (const c of list) this.ids.add(c.Id);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<this> {
    this.stopped = true;
    await this.loop;
    return this;
  }
}

export { docker };
