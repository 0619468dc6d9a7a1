/**
 * Script ids → URLs, for `[[FunctionLocation]]` (which names only a script id). The Debugger
 * domain is enabled in our own session just long enough to hear `scriptParsed` for every
 * script: another debugger attached to the target is not affected, and nothing pauses.
 */
import type { CdpSession } from '../cdp';

export class ScriptUrls {
  private readonly urls = new Map<string, string>();

  constructor(private readonly session: CdpSession) {}

  async lookup(scriptIds: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...scriptIds];
    if (wanted.some((id) => !this.urls.has(id))) await this.refresh();
    return new Map(wanted.filter((id) => this.urls.has(id)).map((id) => [id, this.urls.get(id)!]));
  }

  /**
   * A script's text as V8 runs it (the positions of a heap snapshot are in it), or undefined
   * when the target does not give it; the Debugger domain is on only for the request.
   */
  async source(scriptId: string): Promise<string | undefined> {
    try {
      await this.session.send('Debugger.enable', {});
      const { scriptSource } = await this.session.send('Debugger.getScriptSource', { scriptId });
      return scriptSource;
    } catch {
      return undefined;
    } finally {
      await this.session.send('Debugger.disable', {}).catch(() => undefined);
    }
  }

  private async refresh(): Promise<void> {
    const subscription = this.session.on('Debugger.scriptParsed', ({ scriptId, url }) => {
      if (url) this.urls.set(scriptId, url);
    });
    try {
      // scriptParsed for every existing script arrives before the enable reply.
      await this.session.send('Debugger.enable', {});
      await this.session.send('Debugger.disable', {});
    } finally {
      subscription.dispose();
    }
  }
}
