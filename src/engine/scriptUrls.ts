/**
 * Script ids → URLs, for `[[FunctionLocation]]` (which names only a script id). The Debugger
 * domain is enabled in our own session just long enough to hear `scriptParsed` for every
 * script: another debugger attached to the target is not affected, and nothing pauses.
 */
import type { CdpSession } from '../cdp';

export class ScriptUrls {
  private readonly urls = new Map<string, string>();
  /**
   * Ids a refresh already answered without a URL (eval'd code, `new Function`, our own
   * evaluations). Without this, one such function in a snapshot re-enabled the Debugger on every
   * snapshot: `scriptParsed` for every script, tens of ms of the target's main thread each time.
   */
  private readonly withoutUrl = new Set<string>();

  constructor(private readonly session: CdpSession) {}

  async lookup(scriptIds: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...scriptIds];
    if (wanted.some((id) => !this.urls.has(id) && !this.withoutUrl.has(id))) {
      await this.refresh();
      // Script ids are never reused: one the target did not name now it never will.
      for (const id of wanted) if (!this.urls.has(id)) this.withoutUrl.add(id);
    }
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
